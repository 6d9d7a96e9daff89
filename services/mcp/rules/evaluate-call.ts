/**
 * Evaluates all six rules on a tool call, before anything reaches the gateway's data path, from facts the server
 * established itself (see enforcement-types.ts). Every rule is evaluated; `decide` then applies the precedence.
 */
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import { McpRule } from "#gen/pecr/v1/mcp_pb.js";
import { scanArguments } from "./argument-scan.js";
import { decide, satisfied } from "./decide.js";
import type { CallFacts, Decision, EnforcementGrant, RuleResult } from "./enforcement-types.js";
import { consentFor, insideAny } from "./scope-match.js";

const violated = (rule: McpRule, reasonCode: string): RuleResult => ({ rule, verdict: "violated", reasonCode });

/** Whether `requested` asks for more than `granted` in any dimension (an unset parallelism means 1). */
export function exceedsBudget(requested: Budget, granted: Budget): boolean {
  return (
    requested.maxOperatorCalls > granted.maxOperatorCalls ||
    requested.maxBytes > granted.maxBytes ||
    requested.maxWallclockMs > granted.maxWallclockMs ||
    requested.maxRecursionDepth > granted.maxRecursionDepth ||
    (requested.maxParallelism ?? 1) > (granted.maxParallelism ?? 1)
  );
}

function scope(facts: CallFacts, grant: EnforcementGrant): RuleResult {
  if (!facts.toolKnown || !grant.allowedTools.has(facts.toolName)) return violated(McpRule.BCTS_SCOPE, "tool_not_allowed");
  if (facts.argumentsProblem !== undefined) return violated(McpRule.BCTS_SCOPE, "arguments_invalid");
  if (facts.resources === undefined) return violated(McpRule.BCTS_SCOPE, "resource_not_in_scope");
  if (facts.resources.some((resource) => !insideAny(resource, grant.scopePrefixes))) {
    return violated(McpRule.BCTS_SCOPE, "resource_not_in_scope");
  }
  return satisfied(McpRule.BCTS_SCOPE);
}

function selfEscalation(facts: CallFacts, grant: EnforcementGrant): RuleResult {
  const flagged = scanArguments(facts.arguments, facts.toolName === "ask").find((field) => field.rule === "escalation");
  if (flagged !== undefined) return violated(McpRule.NO_SELF_ESCALATION, flagged.reasonCode);
  if (facts.requestedBudget !== undefined && exceedsBudget(facts.requestedBudget, grant.maxBudget)) {
    return violated(McpRule.NO_SELF_ESCALATION, "budget_exceeds_grant");
  }
  return satisfied(McpRule.NO_SELF_ESCALATION);
}

function provenance(facts: CallFacts): RuleResult {
  if (facts.client === undefined || facts.client.name.trim() === "" || facts.client.version.trim() === "") {
    return violated(McpRule.PROVENANCE_REQUIRED, "client_info_missing");
  }
  if (facts.traceIdMalformed) return violated(McpRule.PROVENANCE_REQUIRED, "trace_id_malformed");
  return satisfied(McpRule.PROVENANCE_REQUIRED);
}

function identityForge(facts: CallFacts): RuleResult {
  const flagged = scanArguments(facts.arguments, facts.toolName === "ask").find((field) => field.rule === "identity");
  return flagged === undefined ? satisfied(McpRule.NO_IDENTITY_FORGE) : violated(McpRule.NO_IDENTITY_FORGE, flagged.reasonCode);
}

function consent(facts: CallFacts, grant: EnforcementGrant): RuleResult {
  // Unscoped resources are mcp-001's to report; consent is judged on the resources that are known.
  const verdicts = (facts.resources ?? []).map((resource) => consentFor(resource, grant.consent));
  if (verdicts.includes("denied")) return violated(McpRule.CONSENT_BOUNDARIES, "outside_consented_scopes");
  if (verdicts.includes("approval")) return { rule: McpRule.CONSENT_BOUNDARIES, verdict: "escalated", reasonCode: "consent_requires_approval" };
  return satisfied(McpRule.CONSENT_BOUNDARIES);
}

/**
 * The decision on a call. mcp-005 (distinguishable output) is about what a call returns: it holds before the
 * call by construction (every result the server returns is labelled) and is checked on answers by
 * `evaluateAnswer`.
 */
export function evaluateCall(facts: CallFacts, grant: EnforcementGrant): Decision {
  return decide([
    scope(facts, grant),
    selfEscalation(facts, grant),
    provenance(facts),
    identityForge(facts),
    satisfied(McpRule.DISTINGUISHABLE),
    consent(facts, grant),
  ]);
}
