/**
 * Fixed plan steps (the `mock` planner's plan and `PECR_BASELINE_PLAN`), reference §5.1: an operator call whose
 * string parameters equal to `"$query"` are replaced by the question, or a fan-out fetching spans of the most
 * recent search's refs.
 */
import { type JsonObject, type JsonValue, create, fromJson } from "@bufbuild/protobuf";
import { type OperatorParams, OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import { type OperatorSpec, operatorByName } from "./operators.js";

/** The placeholder replaced by the (trimmed) question. */
export const QUERY_PLACEHOLDER = "$query";

/** One operator call with templated parameters (proto JSON of the operator's params message). */
export interface OperatorPlanStep {
  /** Step kind. */
  readonly kind: "operator";
  /** The operator (always allowlisted). */
  readonly operator: OperatorSpec;
  /** Parameters as proto JSON; `"$query"` strings are replaced when the step runs. */
  readonly params: JsonObject;
}

/** Fetch the spans of the first `maxRefs` refs of the latest search, in parallel. */
export interface SearchRefFetchSpanStep {
  /** Step kind. */
  readonly kind: "search_ref_fetch_span";
  /** Refs fetched at most (>= 1). */
  readonly maxRefs: number;
}

/** A fixed plan step. */
export type PlanStep = OperatorPlanStep | SearchRefFetchSpanStep;

/** The original's default plan (reference §5.1), used by the `mock` planner unless `PECR_BASELINE_PLAN` is set. */
export function defaultBaselinePlan(): PlanStep[] {
  const step = (name: string, params: JsonObject): OperatorPlanStep => ({
    kind: "operator",
    // The names below are allowlisted; a typo here would fail every mock-planner test.
    operator: operatorByName(name)!,
    params,
  });
  return [
    step("list_versions", { objectId: "public/public_1.txt" }),
    step("fetch_rows", {
      viewId: "safe_customer_view_public",
      filterSpec: { customer_id: "cust_public_1" },
      fields: ["status", "plan_tier"],
    }),
    step("search", { query: QUERY_PLACEHOLDER, limit: 5 }),
    { kind: "search_ref_fetch_span", maxRefs: 2 },
  ];
}

function substitute(value: JsonValue, query: string): JsonValue {
  if (value === QUERY_PLACEHOLDER) return query;
  if (Array.isArray(value)) return value.map((item) => substitute(item, query));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, query)]));
  }
  return value;
}

/**
 * The `OperatorParams` of an operator step for `query`. Parameters were parsed once at startup, and replacing a
 * string by another string cannot make them invalid, so this does not throw for a parsed plan.
 */
export function renderOperatorStep(step: OperatorPlanStep, query: string): OperatorParams {
  const value = fromJson(step.operator.paramsSchema, substitute(step.params, query));
  return create(OperatorParamsSchema, { params: { case: step.operator.case, value } as OperatorParams["params"] });
}
