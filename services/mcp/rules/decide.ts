/**
 * The decision over all six rule results, by precedence: any violated rule blocks (recorded under the first
 * violated rule in rule order, with its reason), else any escalating rule escalates, else the call is allowed
 * (recorded under mcp-006 with `all_rules_satisfied`, the contract's convention).
 */
import { McpRule } from "#gen/pecr/v1/mcp_pb.js";
import type { Decision, RuleResult } from "./enforcement-types.js";
import { MCP_RULES } from "./mcp-rules.js";

/** Reason code of an allowed call. */
export const ALL_RULES_SATISFIED = "all_rules_satisfied";
/** Reason code of a call by an authenticated human (exempt from the rules). */
export const HUMAN_EXEMPT = "human_exempt";

/** Decides from the six results (in any order; they are sorted into rule order first). */
export function decide(results: readonly RuleResult[]): Decision {
  const order = (result: RuleResult) => MCP_RULES.findIndex((info) => info.rule === result.rule);
  const sorted = [...results].sort((a, b) => order(a) - order(b));
  const blocked = sorted.find((result) => result.verdict === "violated");
  if (blocked !== undefined) return { outcome: "blocked", rule: blocked.rule, reasonCode: blocked.reasonCode, results: sorted };
  const escalated = sorted.find((result) => result.verdict === "escalated");
  if (escalated !== undefined) return { outcome: "escalated", rule: escalated.rule, reasonCode: escalated.reasonCode, results: sorted };
  return { outcome: "allowed", rule: McpRule.CONSENT_BOUNDARIES, reasonCode: ALL_RULES_SATISFIED, results: sorted };
}

/** The decision for an authenticated human: allowed without evaluating the rules. */
export function humanExemptDecision(): Decision {
  return { outcome: "allowed", rule: McpRule.CONSENT_BOUNDARIES, reasonCode: HUMAN_EXEMPT, results: [] };
}

/** A satisfied result. */
export function satisfied(rule: McpRule): RuleResult {
  return { rule, verdict: "satisfied", reasonCode: "satisfied" };
}
