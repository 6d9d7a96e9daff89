import test from "ava";
import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { errors } from "#core/errors/pecr-error.js";
import { RunResponseSchema } from "#gen/pecr/controller/v1/controller_pb.js";
import { FetchSpanResponseSchema } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { DescribeCallerResponseSchema, RecordEnforcementResponseSchema } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import { McpOutcome } from "#gen/pecr/v1/mcp_pb.js";
import { PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import type { McpConfig } from "../config/mcp-config.js";
import type { GatewaySessionHolder } from "../gateway/gateway-session.js";
import type { PecrClients } from "../gateway/pecr-clients.js";
import type { McpDeps } from "./mcp-deps.js";
import { type ConnectionContext, handleToolCall } from "./tool-call.js";

const config: McpConfig = {
  gatewayUrl: new URL("http://127.0.0.1:1"),
  gatewayTls: undefined,
  controllerUrl: new URL("http://127.0.0.1:2"),
  controllerTls: undefined,
  credentials: { kind: "local", principalId: "dev", sharedSecret: undefined },
  grant: {
    allowedTools: new Set(["fetch_span", "ask"]),
    scopePrefixes: ["fs:public/", "fs:restricted/"],
    maxBudget: create(BudgetSchema, { maxOperatorCalls: 5 }),
    consent: { allowed: ["fs:public/"], approval: ["fs:restricted/"] },
  },
  callTimeoutMs: 1000,
};

/** Fakes of the outbound clients that count what reached the data path. */
function setup(record: (outcome: McpOutcome) => McpOutcome | Error, kind = PrincipalKind.AGENT, answer = create(RunResponseSchema)) {
  const counts = { operator: 0, run: 0, recorded: [] as McpOutcome[] };
  const clients = {
    audit: {
      describeCaller: async () => create(DescribeCallerResponseSchema, { principalId: "dev", kind }),
      recordEnforcement: async (request: { outcome: McpOutcome }) => {
        const result = record(request.outcome);
        if (result instanceof Error) throw result;
        counts.recorded.push(result);
        return create(RecordEnforcementResponseSchema, { outcome: result, approvalId: request.outcome === McpOutcome.ESCALATED ? "A1" : "", seq: 1n });
      },
    },
    gateway: {
      fetchSpan: async () => {
        counts.operator++;
        return create(FetchSpanResponseSchema, { evidenceUnit: { evidenceUnitId: "e1", content: { case: "text", value: "secret text" } } });
      },
    },
    controller: {
      run: async () => {
        counts.run++;
        return answer;
      },
    },
    close: () => undefined,
  } as unknown as PecrClients;
  const deps: McpDeps = { config, clients, logger: pino({ enabled: false }), newTraceId: () => "01ARZ3NDEKTSV4RRFFQ69G5FAV" };
  const session: GatewaySessionHolder = {
    use: (_trace, call) => call({ sessionId: "s", traceId: "t", token: "k" }),
    end: async () => "s",
  };
  const connection: ConnectionContext = {
    client: () => ({ name: "client", version: "1" }),
    caller: () => clients.audit.describeCaller({}),
    session,
  };
  const call = (name: string, args: Record<string, unknown>) =>
    handleToolCall(deps, connection, { name, arguments: args, meta: undefined, signal: new AbortController().signal });
  return { counts, call };
}

test("an allowed operator call is recorded before it reaches the gateway and then runs", async (t) => {
  const { counts, call } = setup((outcome) => outcome);
  const result = await call("fetch_span", { object_id: "public/a.txt" });
  t.falsy(result.isError);
  t.deepEqual(counts.recorded, [McpOutcome.ALLOWED]);
  t.is(counts.operator, 1);
});

test("when the audit write fails the tool call fails and never reaches the gateway (fail closed)", async (t) => {
  const { counts, call } = setup(() => errors.ledgerUnavailable());
  const result = await call("fetch_span", { object_id: "public/a.txt" });
  t.true(result.isError);
  t.is((result.structuredContent as { code: string }).code, "ERR_LEDGER_UNAVAILABLE");
  t.is(counts.operator, 0);
  t.false(JSON.stringify(result).includes("secret text"));
});

test("a blocked call is recorded and never runs", async (t) => {
  const { counts, call } = setup((outcome) => outcome);
  const result = await call("fetch_span", { object_id: "public/a.txt", principal_id: "root" });
  t.true(result.isError);
  t.like(result.structuredContent as object, { code: "ERR_MCP_RULE_BLOCKED", rule: "mcp-004-no-identity-forge", reason_code: "identity_field_in_arguments" });
  t.deepEqual(counts.recorded, [McpOutcome.BLOCKED]);
  t.is(counts.operator, 0);
});

test("an escalated call without an approval does not run; with a consumed approval it runs without a second record", async (t) => {
  const pending = setup((outcome) => outcome);
  const waiting = await pending.call("fetch_span", { object_id: "restricted/r.txt" });
  t.like(waiting.structuredContent as object, { code: "ERR_MCP_ESCALATED", approval_id: "A1" });
  t.is(pending.counts.operator, 0);

  const approved = setup((outcome) => (outcome === McpOutcome.ESCALATED ? McpOutcome.ALLOWED : outcome));
  const ran = await approved.call("fetch_span", { object_id: "restricted/r.txt" });
  t.falsy(ran.isError);
  t.deepEqual(approved.counts.recorded, [McpOutcome.ALLOWED]);
  t.is(approved.counts.operator, 1);
});

test("an answer that is not marked as AI-produced is recorded as blocked and not released", async (t) => {
  const unmarked = create(RunResponseSchema, {
    responseText: "the answer",
    claimMap: { claims: [{ claimText: "c", status: ClaimStatus.SUPPORTED, evidenceUnitIds: ["e1"] }] },
  });
  const { counts, call } = setup((outcome) => outcome, PrincipalKind.AGENT, unmarked);
  const result = await call("ask", { query: "q" });
  t.like(result.structuredContent as object, { rule: "mcp-005-distinguishable", reason_code: "output_not_marked_ai" });
  t.deepEqual(counts.recorded, [McpOutcome.BLOCKED]);
  t.false(JSON.stringify(result).includes("the answer"));
});

test("a marked answer is released labelled as AI-generated", async (t) => {
  const marked = { origin: TextOrigin.EXTRACTED, generator: "g@1", aiGenerated: true };
  const answer = create(RunResponseSchema, {
    responseText: "the answer",
    authorship: marked,
    claimMap: { authorship: marked, claims: [{ claimText: "c", status: ClaimStatus.SUPPORTED, evidenceUnitIds: ["e1"] }] },
  });
  const { counts, call } = setup((outcome) => outcome, PrincipalKind.AGENT, answer);
  const result = await call("ask", { query: "q" });
  t.falsy(result.isError);
  t.like(result.structuredContent as object, { ai_generated: true, answer: "the answer", origin: "TEXT_ORIGIN_EXTRACTED" });
  t.deepEqual(result._meta, { "pecr/trace_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "pecr/ai_generated": true });
  t.deepEqual(counts.recorded, [McpOutcome.ALLOWED]);
});

test("an authenticated human is exempt from the rules, but still recorded", async (t) => {
  const { counts, call } = setup((outcome) => outcome, PrincipalKind.HUMAN);
  const result = await call("fetch_span", { object_id: "restricted/r.txt" });
  t.falsy(result.isError);
  t.deepEqual(counts.recorded, [McpOutcome.ALLOWED]);
  t.is(counts.operator, 1);
});
