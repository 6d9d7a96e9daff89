import test from "ava";
import { create } from "@bufbuild/protobuf";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import { McpRule } from "#gen/pecr/v1/mcp_pb.js";
import type { AnswerFacts, EnforcementGrant } from "./enforcement-types.js";
import { evaluateAnswer } from "./evaluate-answer.js";
import { evaluateCall } from "./evaluate-call.js";

const grant: EnforcementGrant = {
  allowedTools: new Set(["ask"]),
  scopePrefixes: ["fs:public/", "fs:restricted/"],
  maxBudget: create(BudgetSchema, { maxOperatorCalls: 10 }),
  consent: { allowed: ["fs:public/"], approval: ["fs:restricted/"] },
};
const call = evaluateCall(
  {
    toolName: "ask",
    toolKnown: true,
    arguments: { query: "q" },
    argumentsProblem: undefined,
    resources: [],
    requestedBudget: undefined,
    client: { name: "c", version: "1" },
    traceIdMalformed: false,
  },
  grant,
);
const marked = { origin: TextOrigin.EXTRACTED, aiGenerated: true };
const answer = (overrides: Partial<AnswerFacts> = {}): AnswerFacts => ({
  claims: [{ status: ClaimStatus.SUPPORTED, evidenceUnitIds: ["e1"] }, { status: ClaimStatus.UNKNOWN, evidenceUnitIds: [] }],
  authorship: marked,
  claimMapAuthorship: marked,
  citedResources: ["fs:public/a.txt"],
  ...overrides,
});

test("a marked answer whose supported claims cite consented evidence is allowed", (t) => {
  const decision = evaluateAnswer(answer(), grant, call);
  t.is(decision.outcome, "allowed");
  t.is(decision.reasonCode, "all_rules_satisfied");
});

test("a supported claim without evidence blocks the answer under mcp-003", (t) => {
  const decision = evaluateAnswer(answer({ claims: [{ status: ClaimStatus.SUPPORTED, evidenceUnitIds: [] }] }), grant, call);
  t.is(decision.rule, McpRule.PROVENANCE_REQUIRED);
  t.is(decision.reasonCode, "supported_claim_without_evidence");
});

for (const [what, overrides] of [
  ["no authorship", { authorship: undefined }],
  ["authorship not flagged ai_generated", { authorship: { origin: TextOrigin.EXTRACTED, aiGenerated: false } }],
  ["an unstated origin", { claimMapAuthorship: { origin: TextOrigin.UNSPECIFIED, aiGenerated: true } }],
  ["a claim map claiming human authorship", { claimMapAuthorship: { origin: TextOrigin.HUMAN, aiGenerated: true } }],
] as const) {
  test(`an answer with ${what} is blocked under mcp-005`, (t) => {
    const decision = evaluateAnswer(answer(overrides as Partial<AnswerFacts>), grant, call);
    t.is(decision.outcome, "blocked");
    t.is(decision.rule, McpRule.DISTINGUISHABLE);
    t.is(decision.reasonCode, "output_not_marked_ai");
  });
}

test("an answer citing data outside scope or consent is blocked, in an approval scope escalated", (t) => {
  t.is(evaluateAnswer(answer({ citedResources: ["fs:injection/x"] }), grant, call).rule, McpRule.BCTS_SCOPE);
  const wideScope = { ...grant, scopePrefixes: ["fs:"] };
  const outside = evaluateAnswer(answer({ citedResources: ["fs:injection/x"] }), wideScope, call);
  t.is(outside.rule, McpRule.CONSENT_BOUNDARIES);
  t.is(outside.reasonCode, "answer_cites_unconsented_data");
  t.is(evaluateAnswer(answer({ citedResources: ["fs:restricted/r"] }), grant, call).outcome, "escalated");
});
