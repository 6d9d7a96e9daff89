/**
 * `PECR_BASELINE_PLAN`: a JSON array of plan steps replacing the `mock` planner's default plan (reference §5.1):
 * `{"kind":"operator","op_name":"search","params":{"query":"$query","limit":5}}` or
 * `{"kind":"search_ref_fetch_span","max_refs":2}`. Parsed strictly at startup: unknown keys, operators outside the
 * allowlist, parameters that are not valid proto JSON for the operator or break its field rules are startup
 * errors, so a bad plan never reaches a request.
 */
import { type JsonObject, type JsonValue, fromJson } from "@bufbuild/protobuf";
import type { Validator } from "@bufbuild/protovalidate";
import { StartupError } from "#core/config/startup-error.js";
import { operatorByName } from "../planners/operators.js";
import type { PlanStep } from "../planners/plan-step.js";

/** The largest `max_refs` accepted (the gateway caps search results at 50). */
export const MAX_PLAN_REFS = 50;

/** The largest plan accepted (the budget's recursion depth is at most 20 anyway). */
export const MAX_PLAN_STEPS = 64;

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Parses and checks a plan; throws StartupError ERR_INVALID_CONFIG naming the step, never echoing values. */
export function parseBaselinePlan(json: string, validator: Validator, name = "PECR_BASELINE_PLAN"): PlanStep[] {
  const invalid = (message: string, cause?: unknown) =>
    new StartupError("ERR_INVALID_CONFIG", `${name}${message}`, cause === undefined ? undefined : { cause });
  let value: JsonValue;
  try {
    value = JSON.parse(json) as JsonValue;
  } catch (cause) {
    throw invalid(" is not valid JSON", cause);
  }
  if (!Array.isArray(value) || value.length === 0) throw invalid(" must be a non-empty JSON array of steps");
  if (value.length > MAX_PLAN_STEPS) throw invalid(` must have at most ${MAX_PLAN_STEPS} steps`);
  return value.map((raw, index): PlanStep => {
    const at = `[${index}]`;
    if (!isObject(raw)) throw invalid(`${at} must be an object`);
    const keys = Object.keys(raw);
    if (raw.kind === "operator") {
      if (keys.some((key) => !["kind", "op_name", "params"].includes(key))) {
        throw invalid(`${at}: operator steps have only kind, op_name and params`);
      }
      const operator = typeof raw.op_name === "string" ? operatorByName(raw.op_name) : undefined;
      if (operator === undefined) throw invalid(`${at}.op_name must name an allowlisted operator`);
      const params = raw.params ?? {};
      if (!isObject(params)) throw invalid(`${at}.params must be an object`);
      let message;
      try {
        message = fromJson(operator.paramsSchema, params);
      } catch (cause) {
        throw invalid(`${at}.params are not valid ${operator.name} parameters`, cause);
      }
      const result = validator.validate(operator.paramsSchema, message);
      if (result.kind !== "valid") throw invalid(`${at}.params break the ${operator.name} parameter rules`);
      return { kind: "operator", operator, params };
    }
    if (raw.kind === "search_ref_fetch_span") {
      if (keys.some((key) => !["kind", "max_refs"].includes(key))) {
        throw invalid(`${at}: search_ref_fetch_span steps have only kind and max_refs`);
      }
      const maxRefs = raw.max_refs ?? 2;
      if (typeof maxRefs !== "number" || !Number.isInteger(maxRefs) || maxRefs < 1 || maxRefs > MAX_PLAN_REFS) {
        throw invalid(`${at}.max_refs must be an integer from 1 to ${MAX_PLAN_REFS}`);
      }
      return { kind: "search_ref_fetch_span", maxRefs };
    }
    throw invalid(`${at}.kind must be operator or search_ref_fetch_span`);
  });
}
