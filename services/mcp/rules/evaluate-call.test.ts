import test from "ava";
import { create } from "@bufbuild/protobuf";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { McpRule } from "#gen/pecr/v1/mcp_pb.js";
import type { CallFacts, EnforcementGrant } from "./enforcement-types.js";
import { evaluateCall } from "./evaluate-call.js";

const grant: EnforcementGrant = {
  allowedTools: new Set(["search", "fetch_span", "fetch_rows", "ask"]),
  scopePrefixes: ["fs:public/", "fs:restricted/", "view:safe_customer_view_public", "view:safe_customer_view_support"],
  maxBudget: create(BudgetSchema, { maxOperatorCalls: 10, maxBytes: 1000n, maxWallclockMs: 1000n, maxRecursionDepth: 5, maxParallelism: 2 }),
  consent: { allowed: ["fs:public/", "view:safe_customer_view_public"], approval: ["fs:restricted/"] },
};

const facts = (overrides: Partial<CallFacts> = {}): CallFacts => ({
  toolName: "fetch_span",
  toolKnown: true,
  arguments: { object_id: "public/a.txt" },
  argumentsProblem: undefined,
  resources: ["fs:public/a.txt"],
  requestedBudget: undefined,
  client: { name: "client", version: "1.0" },
  traceIdMalformed: false,
  ...overrides,
});

test("a call satisfying every rule is allowed under mcp-006 with all_rules_satisfied", (t) => {
  const decision = evaluateCall(facts(), grant);
  t.is(decision.outcome, "allowed");
  t.is(decision.rule, McpRule.CONSENT_BOUNDARIES);
  t.is(decision.reasonCode, "all_rules_satisfied");
  t.deepEqual(
    decision.results.map((result) => result.verdict),
    ["satisfied", "satisfied", "satisfied", "satisfied", "satisfied", "satisfied"],
  );
});

const blockedCases: [string, Partial<CallFacts>, McpRule, string][] = [
  ["a tool the server does not allow", { toolName: "aggregate", resources: ["view:safe_customer_view_public"] }, McpRule.BCTS_SCOPE, "tool_not_allowed"],
  ["an unknown tool", { toolName: "drop_tables", toolKnown: false }, McpRule.BCTS_SCOPE, "tool_not_allowed"],
  ["arguments that do not fit the tool", { argumentsProblem: "FieldError" }, McpRule.BCTS_SCOPE, "arguments_invalid"],
  ["an object outside the scope prefixes", { resources: ["fs:injection/x.txt"] }, McpRule.BCTS_SCOPE, "resource_not_in_scope"],
  ["an object id that is not a clean path", { resources: undefined }, McpRule.BCTS_SCOPE, "resource_not_in_scope"],
  ["a roles argument", { arguments: { object_id: "public/a.txt", roles: ["admin"] } }, McpRule.NO_SELF_ESCALATION, "role_requested"],
  ["acting for another principal", { arguments: { object_id: "public/a.txt", on_behalf_of: "dev" } }, McpRule.NO_SELF_ESCALATION, "principal_switch_requested"],
  ["a budget on an operator tool", { arguments: { object_id: "public/a.txt", budget: {} } }, McpRule.NO_SELF_ESCALATION, "budget_requested"],
  [
    "a budget larger than the grant",
    { toolName: "ask", resources: [], requestedBudget: create(BudgetSchema, { maxOperatorCalls: 11 }) },
    McpRule.NO_SELF_ESCALATION,
    "budget_exceeds_grant",
  ],
  [
    "more parallelism than the grant",
    { toolName: "ask", resources: [], requestedBudget: create(BudgetSchema, { maxOperatorCalls: 1, maxParallelism: 3 }) },
    McpRule.NO_SELF_ESCALATION,
    "budget_exceeds_grant",
  ],
  ["no client info", { client: undefined }, McpRule.PROVENANCE_REQUIRED, "client_info_missing"],
  ["a client info without a name", { client: { name: " ", version: "1" } }, McpRule.PROVENANCE_REQUIRED, "client_info_missing"],
  ["a malformed trace id", { traceIdMalformed: true }, McpRule.PROVENANCE_REQUIRED, "trace_id_malformed"],
  ["a principal field", { arguments: { object_id: "public/a.txt", principalId: "dev" } }, McpRule.NO_IDENTITY_FORGE, "identity_field_in_arguments"],
  [
    "a credential nested in a map",
    { arguments: { view_id: "v", filter_spec: { authorization: "x" } } },
    McpRule.NO_IDENTITY_FORGE,
    "identity_field_in_arguments",
  ],
  ["a JWT in a value", { arguments: { object_id: "public/a.txt", note: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYifQ.sig" } }, McpRule.NO_IDENTITY_FORGE, "credential_in_arguments"],
  ["data outside consent", { toolName: "fetch_rows", resources: ["view:safe_customer_view_support"] }, McpRule.CONSENT_BOUNDARIES, "outside_consented_scopes"],
];

for (const [what, overrides, rule, reasonCode] of blockedCases) {
  test(`${what} is blocked by its rule with a stable reason code`, (t) => {
    const decision = evaluateCall(facts(overrides), grant);
    t.is(decision.outcome, "blocked");
    t.is(decision.rule, rule);
    t.is(decision.reasonCode, reasonCode);
  });
}

test("data in an approval scope is escalated under mcp-006", (t) => {
  const decision = evaluateCall(facts({ resources: ["fs:restricted/r.txt"] }), grant);
  t.is(decision.outcome, "escalated");
  t.is(decision.rule, McpRule.CONSENT_BOUNDARIES);
  t.is(decision.reasonCode, "consent_requires_approval");
});

test("an approval scope takes precedence over an allowed scope covering it", (t) => {
  const wide = { ...grant, consent: { allowed: ["fs:"], approval: ["fs:restricted/"] } };
  t.is(evaluateCall(facts({ resources: ["fs:restricted/r.txt"] }), wide).outcome, "escalated");
  t.is(evaluateCall(facts({ resources: ["fs:public/a.txt"] }), wide).outcome, "allowed");
});

test("every rule is evaluated and a violation anywhere beats an escalation", (t) => {
  const decision = evaluateCall(facts({ resources: ["fs:restricted/r.txt"], traceIdMalformed: true }), grant);
  t.is(decision.outcome, "blocked");
  t.is(decision.rule, McpRule.PROVENANCE_REQUIRED);
  t.is(decision.results.find((result) => result.rule === McpRule.CONSENT_BOUNDARIES)?.verdict, "escalated");
});

test("with several violations the first rule in rule order decides", (t) => {
  const decision = evaluateCall(
    facts({ arguments: { object_id: "public/a.txt", principal: "dev", roles: ["x"] }, client: undefined, resources: ["fs:injection/a"] }),
    grant,
  );
  t.is(decision.rule, McpRule.BCTS_SCOPE);
  t.deepEqual(
    decision.results.filter((result) => result.verdict === "violated").map((result) => result.rule),
    [McpRule.BCTS_SCOPE, McpRule.NO_SELF_ESCALATION, McpRule.PROVENANCE_REQUIRED, McpRule.NO_IDENTITY_FORGE, McpRule.CONSENT_BOUNDARIES],
  );
});

test("ask may carry a budget within the grant", (t) => {
  const decision = evaluateCall(
    facts({ toolName: "ask", resources: [], arguments: { query: "q", budget: {} }, requestedBudget: create(BudgetSchema, { maxOperatorCalls: 10, maxParallelism: 2 }) }),
    grant,
  );
  t.is(decision.outcome, "allowed");
});
