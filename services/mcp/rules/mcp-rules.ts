/**
 * The six MCP rules (mcp-audit-reference §2.1) as PECR enforces them: stable ids, the contract's enum values
 * (recorded in the ledger, never the id string), severities and descriptions, in evaluation order. The order is
 * the precedence among violations: a Blocked call is recorded under the first violated rule of this list.
 */
import { McpRule } from "#gen/pecr/v1/mcp_pb.js";

/** A rule's stable id. */
export type McpRuleId =
  | "mcp-001-bcts-scope"
  | "mcp-002-no-self-escalation"
  | "mcp-003-provenance-required"
  | "mcp-004-no-identity-forge"
  | "mcp-005-distinguishable"
  | "mcp-006-consent-boundaries";

/** One rule. */
export interface McpRuleInfo {
  /** Stable id (never a language-level name). */
  readonly id: McpRuleId;
  /** The contract's enum value, which is what the ledger records. */
  readonly rule: McpRule;
  /** Severity, 1..5. */
  readonly severity: number;
  /** What the rule requires, as PECR maps it. */
  readonly description: string;
}

/** The rules in evaluation (and precedence) order. */
export const MCP_RULES: readonly McpRuleInfo[] = [
  {
    id: "mcp-001-bcts-scope",
    rule: McpRule.BCTS_SCOPE,
    severity: 5,
    description: "the tool is one the server allows and every object or view it touches is inside the configured scope",
  },
  {
    id: "mcp-002-no-self-escalation",
    rule: McpRule.NO_SELF_ESCALATION,
    severity: 5,
    description: "the arguments ask for no larger budget than granted, no roles and no other principal",
  },
  {
    id: "mcp-003-provenance-required",
    rule: McpRule.PROVENANCE_REQUIRED,
    severity: 4,
    description: "the call carries the client's identity and a trace id, and answers cite evidence",
  },
  {
    id: "mcp-004-no-identity-forge",
    rule: McpRule.NO_IDENTITY_FORGE,
    severity: 5,
    description: "the arguments carry no principal, credential or authorization fields: identity comes from the server",
  },
  {
    id: "mcp-005-distinguishable",
    rule: McpRule.DISTINGUISHABLE,
    severity: 3,
    description: "AI-produced text is marked as such (authorship with origin and ai_generated)",
  },
  {
    id: "mcp-006-consent-boundaries",
    rule: McpRule.CONSENT_BOUNDARIES,
    severity: 5,
    description: "the data touched is inside the principal's consented scopes; some scopes need a human's approval",
  },
];

/** The rule with enum value `rule`. */
export function ruleInfo(rule: McpRule): McpRuleInfo {
  const found = MCP_RULES.find((info) => info.rule === rule);
  if (found === undefined) throw new RangeError(`not an MCP rule: ${rule}`);
  return found;
}
