/**
 * `PECR_BUDGET_DEFAULTS`: the run budget used when a request carries none. Parsed strictly with protobuf-es
 * (unknown keys and wrong types are ERR_INVALID_BUDGET_JSON) and checked with protovalidate against the very
 * rules the proto declares for `pecr.v1.Budget` (out-of-range values are ERR_INVALID_BUDGET), so the startup
 * check and the per-request check can never disagree.
 */
import { fromJsonString } from "@bufbuild/protobuf";
import type { Validator } from "@bufbuild/protovalidate";
import { StartupError } from "#core/config/startup-error.js";
import { type Budget, BudgetSchema } from "#gen/pecr/v1/budget_pb.js";

/** Parses and validates a Budget JSON object; throws StartupError. */
export function parseBudgetJson(json: string, validator: Validator, name = "PECR_BUDGET_DEFAULTS"): Budget {
  let budget: Budget;
  try {
    // JSON `null` parses to an empty message in protobuf-es; a budget must be spelled out.
    if (json.trim() === "null") throw new Error("null is not a Budget");
    budget = fromJsonString(BudgetSchema, json, { ignoreUnknownFields: false });
  } catch (cause) {
    throw new StartupError("ERR_INVALID_BUDGET_JSON", `${name} is not a valid Budget JSON object`, { cause });
  }
  const result = validator.validate(BudgetSchema, budget);
  if (result.kind === "error") {
    throw new StartupError("ERR_INVALID_BUDGET", `${name} could not be validated`, { cause: result.error });
  }
  if (result.kind === "invalid") {
    // Violations name the field and the bound (e.g. "max_parallelism: value must be ... 1 and ... 256"),
    // never the configured value.
    const reasons = result.violations.map((violation) => violation.toString()).join("; ");
    throw new StartupError("ERR_INVALID_BUDGET", `${name} is out of range: ${reasons}`);
  }
  return budget;
}
