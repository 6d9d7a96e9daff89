/**
 * Evaluates the rules on an answer (`ask`) before it is released to the MCP client: mcp-003 (every SUPPORTED
 * claim cites evidence), mcp-005 (the answer and its claim map are marked as AI-produced: an origin is stated and
 * `ai_generated` is true), and scope and consent (mcp-001, mcp-006) of the evidence the answer cites. The call's
 * own facts were already judged by `evaluateCall`; its results for the other rules are carried over.
 */
import { ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import { McpRule } from "#gen/pecr/v1/mcp_pb.js";
import { decide, satisfied } from "./decide.js";
import type { AnswerFacts, Decision, EnforcementGrant, RuleResult } from "./enforcement-types.js";
import { consentFor, insideAny } from "./scope-match.js";

type Authorship = AnswerFacts["authorship"];

/** Whether an authorship marks text as machine-produced. */
function markedAi(authorship: Authorship): boolean {
  return (
    authorship !== undefined &&
    authorship.aiGenerated &&
    (authorship.origin === TextOrigin.EXTRACTED || authorship.origin === TextOrigin.MODEL_GENERATED)
  );
}

/** The decision on an answer, given the decision on the call that produced it. */
export function evaluateAnswer(answer: AnswerFacts, grant: EnforcementGrant, call: Decision): Decision {
  const carried = (rule: McpRule): RuleResult => call.results.find((result) => result.rule === rule) ?? satisfied(rule);
  const scope: RuleResult = answer.citedResources.some((resource) => !insideAny(resource, grant.scopePrefixes))
    ? { rule: McpRule.BCTS_SCOPE, verdict: "violated", reasonCode: "answer_cites_out_of_scope" }
    : carried(McpRule.BCTS_SCOPE);
  const unsupported = answer.claims.some((claim) => claim.status === ClaimStatus.SUPPORTED && claim.evidenceUnitIds.length === 0);
  const provenance: RuleResult = unsupported
    ? { rule: McpRule.PROVENANCE_REQUIRED, verdict: "violated", reasonCode: "supported_claim_without_evidence" }
    : carried(McpRule.PROVENANCE_REQUIRED);
  const distinguishable: RuleResult =
    markedAi(answer.authorship) && markedAi(answer.claimMapAuthorship)
      ? satisfied(McpRule.DISTINGUISHABLE)
      : { rule: McpRule.DISTINGUISHABLE, verdict: "violated", reasonCode: "output_not_marked_ai" };
  const verdicts = answer.citedResources.map((resource) => consentFor(resource, grant.consent));
  const consent: RuleResult = verdicts.includes("denied")
    ? { rule: McpRule.CONSENT_BOUNDARIES, verdict: "violated", reasonCode: "answer_cites_unconsented_data" }
    : verdicts.includes("approval")
      ? { rule: McpRule.CONSENT_BOUNDARIES, verdict: "escalated", reasonCode: "consent_requires_approval" }
      : carried(McpRule.CONSENT_BOUNDARIES);
  return decide([scope, carried(McpRule.NO_SELF_ESCALATION), provenance, carried(McpRule.NO_IDENTITY_FORGE), distinguishable, consent]);
}
