/**
 * The MCP server's integration suite, against a real gateway and controller (PGlite, or real Postgres when
 * `PECR_TEST_DB_URL` is set): MCP SDK clients over streamable HTTP and over stdio (a spawned `pecr mcp`) list the
 * tools and call each; one violating call per rule is blocked with its rule id and leaves exactly one audit event
 * (read back through the auditor's ListEvents); an escalated call runs only after a human's approval, exactly
 * once; nothing restricted leaks to a principal who may not read it; the chain, approvals included, verifies.
 *
 * Each call carries its own trace id, so "exactly one audit event" is counted among the MCP enforcement events
 * of that trace. The tests are serial: the last one verifies the whole chain they wrote.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ExecutionContext, TestFn } from "ava";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { newUlid } from "#core/observability/request-ids.js";
import { RunResponseSchema } from "#gen/pecr/controller/v1/controller_pb.js";
import { McpApprovalState, McpAuditService } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import { type McpEnforcementEvent, McpEnforcementEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { McpOutcome, McpRule } from "#gen/pecr/v1/mcp_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { argumentsHash } from "../../../services/mcp/tools/arguments-hash.js";
import type { Backend } from "../../support/gateway-harness.js";
import { type FakeController, startFakeController } from "./support/fake-controller.js";
import { type McpStack, REPO_ROOT, startMcpStack } from "./support/mcp-stack.js";

/** What the suite's tests share. */
export interface McpSuiteContext {
  /** The stack. */
  stack: McpStack;
  /** The fake controller (answers the real one never gives). */
  fake: FakeController;
  /** An MCP client of the `dev` server: wide scope, consent for public data, restricted/ needs approval. */
  dev: Client;
  /** An MCP client of a `dev` server whose `ask` runs on the fake controller. */
  faked: Client;
}

const CANARIES = [
  "PECR_CANARY_RESTRICTED_ALPHA_6b3b91c2a7b44a9f",
  "PECR_CANARY_RESTRICTED_GAMMA_4c1f0a9e7d2b4e61",
  "PECR_CANARY_PG_ADMIN_DELTA_1f2d8c6f87f84b76",
  "PECR_CANARY_PG_ADMIN_DELTA_2a519d6b7f4348d4",
];
const REGION = "eu-west-1";
const DEV_ENV = {
  PECR_MCP_SCOPE_PREFIXES: "fs:public/,fs:restricted/,view:safe_customer_view_public,view:safe_customer_view_support",
  PECR_MCP_CONSENT_JSON: JSON.stringify({ allowed_scopes: ["fs:public/", "view:safe_customer_view_public"], approval_scopes: ["fs:restricted/"] }),
};
const PUBLIC_DOC = "public/support_policy.txt";
const RESTRICTED_DOC = "restricted/restricted_1.txt";

const execFileAsync = promisify(execFile);

/** Calls a tool under a fresh trace id (or the given `_meta`); returns the result and the call's trace id. */
async function callTool(client: Client, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) {
  const traceId = newUlid();
  const result = (await client.callTool({ name, arguments: args, _meta: meta ?? { "pecr/trace_id": traceId } })) as CallToolResult;
  return { result, traceId: String(result._meta?.["pecr/trace_id"] ?? traceId) };
}

const structured = (result: CallToolResult) => (result.structuredContent ?? {}) as Record<string, unknown>;

/** The MCP enforcement events of one trace. */
async function eventsOf(stack: McpStack, traceId: string): Promise<McpEnforcementEvent[]> {
  const page = await stack.gateway.client("auditor").listEvents({ traceId, pageSize: 1000 });
  return page.events.flatMap((record) =>
    record.event?.payload.case === "mcpEnforcement" ? [create(McpEnforcementEventSchema, record.event.payload.value)] : [],
  );
}

/** Asserts that `traceId` has exactly one enforcement event, and returns it. */
async function onlyEvent(t: ExecutionContext, stack: McpStack, traceId: string): Promise<McpEnforcementEvent> {
  const events = await eventsOf(stack, traceId);
  t.is(events.length, 1, `enforcement events of trace ${traceId}`);
  return events[0] as McpEnforcementEvent;
}

/** The gateway session an operator tool call ran in (the first session event of its trace). */
async function sessionOfTrace(stack: McpStack, traceId: string): Promise<string> {
  const page = await stack.gateway.client("auditor").listEvents({ traceId, pageSize: 1000 });
  return page.events.map((record) => record.event?.sessionId ?? "").find((id) => id !== "") ?? "";
}

/** The FINALIZE_RESULT event of `sessionId`, waited for up to 10 s (connections end asynchronously). */
async function finalizeResultOf(stack: McpStack, sessionId: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const page = await stack.gateway.client("auditor").listEvents({ sessionId, pageSize: 1000 });
    const found = page.events.find((record) => record.event?.payload.case === "finalizeResult");
    if (found !== undefined || Date.now() > deadline) return found?.event?.payload.case === "finalizeResult" ? found.event.payload.value : undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `pecr mcp approve|approval ...` as a child process. */
async function pecrMcp(stack: McpStack, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", "tsx", "scripts/pecr.ts", "mcp", ...args, "--url", stack.gateway.url], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** Registers the suite on `backend`. */
export function registerMcpSuite(test: TestFn<McpSuiteContext>, backend: Backend): void {
  test.before(async (t) => {
    const stack = await startMcpStack(backend, { PECR_DATA_RESIDENCY_REGION: REGION });
    const fake = await startFakeController();
    const dev = await stack.httpClient((await stack.startHttpMcp(stack.mcpEnv("dev", DEV_ENV))).url as string);
    const fakedServer = await stack.startHttpMcp(stack.mcpEnv("dev", { ...DEV_ENV, PECR_CONTROLLER_URL: fake.url }));
    t.context = { stack, fake, dev, faked: await stack.httpClient(fakedServer.url as string) };
  });
  test.after.always(async (t) => {
    await t.context.stack?.close();
    await t.context.fake?.close();
  });

  test.serial(`${backend}: an MCP client over HTTP lists the seven tools with input schemas derived from the proto messages`, async (t) => {
    const { tools } = await t.context.dev.listTools();
    t.deepEqual(
      tools.map((tool) => tool.name),
      ["search", "fetch_span", "fetch_rows", "aggregate", "list_versions", "diff", "ask"],
    );
    const fetchSpan = tools.find((tool) => tool.name === "fetch_span");
    t.deepEqual(Object.keys(fetchSpan?.inputSchema.properties ?? {}), ["object_id", "start_byte", "end_byte"]);
    const ask = tools.find((tool) => tool.name === "ask");
    t.deepEqual(Object.keys(ask?.inputSchema.properties ?? {}), ["query", "budget", "as_of_time"]);
  });

  test.serial(`${backend}: every tool runs for an allowed call and each call leaves exactly one ALLOWED audit event`, async (t) => {
    const { stack, dev } = t.context;
    const versions = await callTool(dev, "list_versions", { object_id: PUBLIC_DOC });
    const version = String((structured(versions.result).versions as { version_id: string }[])[0]?.version_id);
    const calls: [string, Record<string, unknown>][] = [
      ["search", { query: "support" }],
      ["fetch_span", { object_id: PUBLIC_DOC, start_byte: 0, end_byte: 40 }],
      ["fetch_rows", { view_id: "safe_customer_view_public", fields: ["customer_id", "status"] }],
      ["aggregate", { view_id: "safe_customer_view_public", metrics: [{ name: "count", field: "customer_id" }] }],
      ["diff", { object_id: PUBLIC_DOC, v1: version, v2: version }],
      ["ask", { query: "What are the support hours?" }],
    ];
    const results = [versions, ...(await Promise.all(calls.map(([name, args]) => callTool(dev, name, args))))];
    for (const [index, { result, traceId }] of results.entries()) {
      const [name, args] = index === 0 ? ["list_versions", { object_id: PUBLIC_DOC }] : (calls[index - 1] as [string, Record<string, unknown>]);
      t.falsy(result.isError, `${name}: ${JSON.stringify(result.content)}`);
      const body = structured(result);
      t.is(body.terminal_mode, "TERMINAL_MODE_SUPPORTED", name);
      if (name !== "list_versions") t.true((body[name === "ask" ? "cited_evidence" : "evidence_unit_ids"] as unknown[]).length > 0, name);
      const event = await onlyEvent(t, stack, traceId);
      t.like(event, {
        rule: McpRule.CONSENT_BOUNDARIES,
        outcome: McpOutcome.ALLOWED,
        reasonCode: "all_rules_satisfied",
        actor: "dev",
        toolName: name,
        argumentsHash: argumentsHash(name, args as JsonObject),
        dataResidencyRegion: REGION,
        approvalId: "",
      });
    }
    const answer = structured(results[results.length - 1]!.result);
    t.like(answer, { ai_generated: true, origin: "TEXT_ORIGIN_EXTRACTED" });
    t.regex(String(answer.label), /^AI-generated answer/);
    t.true((answer.claims as { evidence_unit_ids: string[]; status: string }[]).every((claim) => claim.status !== "CLAIM_STATUS_SUPPORTED" || claim.evidence_unit_ids.length > 0));
  });

  const violations: [McpRule, string, string, string, Record<string, unknown>, Record<string, unknown> | undefined][] = [
    [McpRule.BCTS_SCOPE, "mcp-001-bcts-scope", "resource_not_in_scope", "fetch_span", { object_id: "injection/injection_1.txt" }, undefined],
    [McpRule.NO_SELF_ESCALATION, "mcp-002-no-self-escalation", "budget_exceeds_grant", "ask", { query: "What are the support hours?", budget: { max_operator_calls: 500 } }, undefined],
    [McpRule.PROVENANCE_REQUIRED, "mcp-003-provenance-required", "trace_id_malformed", "fetch_span", { object_id: PUBLIC_DOC }, { "pecr/trace_id": "not-a-ulid" }],
    [McpRule.NO_IDENTITY_FORGE, "mcp-004-no-identity-forge", "identity_field_in_arguments", "fetch_span", { object_id: PUBLIC_DOC, principal_id: "dev" }, undefined],
    [McpRule.CONSENT_BOUNDARIES, "mcp-006-consent-boundaries", "outside_consented_scopes", "fetch_rows", { view_id: "safe_customer_view_support", fields: ["customer_id"] }, undefined],
  ];
  for (const [rule, ruleId, reasonCode, tool, args, meta] of violations) {
    test.serial(`${backend}: a call violating ${ruleId} is blocked with its rule id and leaves exactly one BLOCKED event`, async (t) => {
      const { result, traceId } = await callTool(t.context.dev, tool, args, meta);
      t.true(result.isError);
      t.like(structured(result), { code: "ERR_MCP_RULE_BLOCKED", rule: ruleId, reason_code: reasonCode, terminal_mode_hint: "TERMINAL_MODE_INSUFFICIENT_PERMISSION" });
      t.like(await onlyEvent(t, t.context.stack, traceId), { rule, outcome: McpOutcome.BLOCKED, reasonCode, actor: "dev", toolName: tool, argumentsHash: argumentsHash(tool, args as JsonObject) });
      // Nothing reached the data path: no operator or session event in the trace.
      const page = await t.context.stack.gateway.client("auditor").listEvents({ traceId, pageSize: 100 });
      t.deepEqual(page.events.map((record) => record.event?.payload.case), ["mcpEnforcement"]);
    });
  }

  const marked = { origin: TextOrigin.EXTRACTED, generator: "fake@1", aiGenerated: true };
  const answers: [McpRule, string, string, Parameters<typeof create<typeof RunResponseSchema>>[1]][] = [
    [
      McpRule.DISTINGUISHABLE,
      "mcp-005-distinguishable",
      "output_not_marked_ai",
      { responseText: "UNMARKED ANSWER", claimMap: { claims: [{ claimText: "c", status: ClaimStatus.SUPPORTED, evidenceUnitIds: ["e1"] }] } },
    ],
    [
      McpRule.PROVENANCE_REQUIRED,
      "mcp-003-provenance-required",
      "supported_claim_without_evidence",
      { responseText: "UNCITED ANSWER", authorship: marked, claimMap: { authorship: marked, claims: [{ claimText: "c", status: ClaimStatus.SUPPORTED }] } },
    ],
  ];
  for (const [rule, ruleId, reasonCode, response] of answers) {
    test.serial(`${backend}: an answer violating ${ruleId} (${reasonCode}) is withheld and leaves exactly one BLOCKED event`, async (t) => {
      t.context.fake.respond(create(RunResponseSchema, response));
      const { result, traceId } = await callTool(t.context.faked, "ask", { query: "anything" });
      t.true(result.isError);
      t.like(structured(result), { code: "ERR_MCP_RULE_BLOCKED", rule: ruleId, reason_code: reasonCode });
      t.false(JSON.stringify(result).includes("ANSWER"));
      t.like(await onlyEvent(t, t.context.stack, traceId), { rule, outcome: McpOutcome.BLOCKED, reasonCode, toolName: "ask" });
    });
  }

  test.serial(`${backend}: an escalated call runs only after a human approves it, exactly once`, async (t) => {
    const { stack, dev } = t.context;
    const args = { object_id: RESTRICTED_DOC };
    const first = await callTool(dev, "fetch_span", args);
    t.true(first.result.isError);
    t.like(structured(first.result), { code: "ERR_MCP_ESCALATED", rule: "mcp-006-consent-boundaries", reason_code: "consent_requires_approval" });
    t.false(JSON.stringify(first.result).includes(CANARIES[0] as string));
    const approvalId = String(structured(first.result).approval_id);
    t.like(await onlyEvent(t, stack, first.traceId), { outcome: McpOutcome.ESCALATED, approvalId, rule: McpRule.CONSENT_BOUNDARIES });

    // Asking again before a decision refers to the same pending approval.
    const again = await callTool(dev, "fetch_span", args);
    t.is(structured(again.result).approval_id, approvalId);

    // An agent cannot approve, not even its own call.
    const agent = createClient(McpAuditService, createGrpcTransport({ baseUrl: stack.gateway.url, interceptors: [(next) => (req) => (req.header.set("x-pecr-principal-id", "dev"), next(req))] }));
    const refused = await agent.decideApproval({ approvalId, approved: true }).catch((error: unknown) => ConnectError.from(error));
    t.is((refused as ConnectError).code, Code.PermissionDenied);
    t.is((await pecrMcp(stack, ["approve", approvalId, "--principal", "dev"])).code, 1);

    const approved = await pecrMcp(stack, ["approve", approvalId, "--principal", "alice"]);
    t.is(approved.code, 0, approved.stderr);
    t.regex(approved.stdout, new RegExp(`approval ${approvalId}: approved .*decided by alice`));

    const ran = await callTool(dev, "fetch_span", args);
    t.falsy(ran.result.isError, JSON.stringify(ran.result.content));
    t.true(JSON.stringify(ran.result).includes(CANARIES[0] as string));
    t.like(await onlyEvent(t, stack, ran.traceId), { outcome: McpOutcome.ALLOWED, approvalId, reasonCode: "approval_consumed" });
    t.regex((await pecrMcp(stack, ["approval", approvalId, "--principal", "alice"])).stdout, /: consumed /);

    // Once: the same call needs a new approval.
    const after = await callTool(dev, "fetch_span", args);
    t.is(structured(after.result).code, "ERR_MCP_ESCALATED");
    t.not(structured(after.result).approval_id, approvalId);
    t.false(JSON.stringify(after.result).includes(CANARIES[0] as string));
  });

  test.serial(`${backend}: an approval is consumed by one of two concurrent identical calls, and a rejected one by none`, async (t) => {
    const { stack, dev } = t.context;
    const args = { object_id: "restricted/incident_2026_01.txt" };
    const escalatedCall = await callTool(dev, "fetch_span", args);
    const approvalId = String(structured(escalatedCall.result).approval_id);
    t.is((await pecrMcp(stack, ["approve", approvalId, "--principal", "alice"])).code, 0);
    const both = await Promise.all([callTool(dev, "fetch_span", args), callTool(dev, "fetch_span", args)]);
    t.is(both.filter(({ result }) => !result.isError).length, 1);
    t.is(both.filter(({ result }) => structured(result).code === "ERR_MCP_ESCALATED").length, 1);

    const next = await callTool(dev, "fetch_span", args);
    const rejectId = String(structured(next.result).approval_id);
    const rejected = await pecrMcp(stack, ["approve", rejectId, "--reject", "--principal", "alice"]);
    t.regex(rejected.stdout, /: rejected /);
    t.is((await pecrMcp(stack, ["approve", rejectId, "--principal", "alice"])).code, 1);
    const afterReject = await callTool(dev, "fetch_span", args);
    t.is(structured(afterReject.result).code, "ERR_MCP_ESCALATED");
    t.not(structured(afterReject.result).approval_id, rejectId);
    const human = createClient(McpAuditService, createGrpcTransport({ baseUrl: stack.gateway.url, interceptors: [(next) => (req) => (req.header.set("x-pecr-principal-id", "alice"), next(req))] }));
    t.is((await human.getApproval({ approvalId: rejectId })).approval?.state, McpApprovalState.REJECTED);
  });

  test.serial(`${backend}: a human principal is exempt from the rules but not from the gateway's policy`, async (t) => {
    const { stack } = t.context;
    const alice = await stack.httpClient((await stack.startHttpMcp(stack.mcpEnv("alice", DEV_ENV))).url as string);
    const { result, traceId } = await callTool(alice, "fetch_span", { object_id: RESTRICTED_DOC, roles: ["admin"] });
    t.like(structured(result), { code: "ERR_POLICY_DENIED" });
    t.like(await onlyEvent(t, stack, traceId), { outcome: McpOutcome.ALLOWED, reasonCode: "human_exempt", actor: "alice" });
  });

  test.serial(`${backend}: nothing restricted leaks through tool results to a principal who may not read it`, async (t) => {
    const { stack } = t.context;
    const wide = { PECR_MCP_SCOPE_PREFIXES: "fs:,view:", PECR_MCP_CONSENT_JSON: '{"allowed_scopes":["fs:","view:"]}' };
    const support = await stack.httpClient((await stack.startHttpMcp(stack.mcpEnv("support", wide))).url as string);
    const results = await Promise.all([
      callTool(support, "search", { query: "PECR_CANARY" }),
      callTool(support, "search", { query: "restricted" }),
      callTool(support, "fetch_span", { object_id: RESTRICTED_DOC }),
      callTool(support, "list_versions", { object_id: RESTRICTED_DOC }),
      callTool(support, "fetch_rows", { view_id: "safe_customer_view_support", fields: ["customer_id", "admin_note", "support_note"] }),
      callTool(support, "ask", { query: "What is in the restricted incident report?" }),
    ]);
    const text = JSON.stringify(results.map(({ result }) => result));
    for (const canary of CANARIES) t.false(text.includes(canary), canary);
    t.false(text.includes("restricted/"));
    t.like(structured(results[2]!.result), { code: "ERR_POLICY_DENIED" });
  });

  test.serial(`${backend}: \`pecr mcp\` over stdio, started like a stock MCP client configuration, lists tools and answers ask`, async (t) => {
    const { stack } = t.context;
    const client = await stack.stdioClient(stack.mcpEnv("dev", { PECR_MCP_CONSENT_JSON: '{"allowed_scopes":["fs:public/","view:safe_customer_view_public"]}' }));
    const { tools } = await client.listTools();
    t.is(tools.length, 7);
    const { result, traceId } = await callTool(client, "ask", { query: "What are the support hours?" });
    t.falsy(result.isError, JSON.stringify(result.content));
    t.like(structured(result), { terminal_mode: "TERMINAL_MODE_SUPPORTED", ai_generated: true });
    t.true((structured(result).cited_evidence as unknown[]).length > 0);
    t.like(await onlyEvent(t, stack, traceId), { outcome: McpOutcome.ALLOWED, toolName: "ask" });
    const search = await callTool(client, "search", { query: "support" });
    t.true((structured(search.result).evidence_unit_ids as unknown[]).length > 0);
    // The client hangs up (closes the server's stdin): the server finalizes its gateway session before it exits.
    const sessionId = await sessionOfTrace(stack, search.traceId);
    t.not(sessionId, "");
    await client.close();
    t.like(await finalizeResultOf(stack, sessionId), { terminalMode: TerminalMode.INSUFFICIENT_EVIDENCE });
  });

  test.serial(`${backend}: when an MCP connection over HTTP ends, its gateway session is finalized and its calls stop`, async (t) => {
    const { stack } = t.context;
    const server = await stack.startHttpMcp(stack.mcpEnv("dev", DEV_ENV));
    const client = await stack.httpClient(server.url as string);
    const first = await callTool(client, "fetch_span", { object_id: PUBLIC_DOC, start_byte: 0, end_byte: 40 });
    t.falsy(first.result.isError, JSON.stringify(first.result.content));
    const second = await callTool(client, "fetch_span", { object_id: PUBLIC_DOC, start_byte: 0, end_byte: 20 });
    t.falsy(second.result.isError, JSON.stringify(second.result.content));
    const sessionId = await sessionOfTrace(stack, first.traceId);
    t.not(sessionId, "");
    const eventsOfCase = async (payloadCase: string) =>
      (await stack.gateway.client("auditor").listEvents({ sessionId, pageSize: 1000 })).events.filter((record) => record.event?.payload.case === payloadCase);
    t.is((await eventsOfCase("operatorCall")).length, 2, "both calls ran in the connection's one gateway session");
    const finalizeEvents = () => eventsOfCase("finalizeResult");
    t.is((await finalizeEvents()).length, 0, "still open while connected");
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    t.like(await finalizeResultOf(stack, sessionId), { terminalMode: TerminalMode.INSUFFICIENT_EVIDENCE, claimsTotal: 0 });
    t.is((await finalizeEvents()).length, 1);
  });

  test.serial(`${backend}: afterwards the chain verifies, MCP events and approvals included`, async (t) => {
    const { stack } = t.context;
    const events = await stack.enforcementEvents();
    t.true(events.length >= 20);
    t.true(events.every(({ event }) => event.rule !== McpRule.UNSPECIFIED && event.outcome !== McpOutcome.UNSPECIFIED));
    const verification = (await stack.gateway.client("auditor").verifyLedger({})).verification;
    t.true(verification?.ok, JSON.stringify(verification?.firstBreak));
  });

  test.serial(`${backend}: an approval decision written behind the chain's back is refused and detected by verification`, async (t) => {
    const { stack, dev } = t.context;
    const sql = stack.gateway.app.deps.ledger.db.sql;
    const hash = argumentsHash("fetch_span", { object_id: RESTRICTED_DOC });
    const [pending] = await sql<{ approval_id: string; requested_event_id: string }>`
      SELECT a.approval_id, a.requested_event_id FROM pecr_mcp_approvals a
      WHERE a.arguments_hash = ${hash} AND NOT EXISTS (SELECT 1 FROM pecr_mcp_approval_steps s WHERE s.approval_id = a.approval_id)`;
    t.truthy(pending);
    // A forged "approved" step naming an existing event that is not a human's MCP_APPROVAL event.
    await sql`INSERT INTO pecr_mcp_approval_steps (approval_id, step, approved, principal_id, event_id, step_at)
      VALUES (${pending!.approval_id}, 'decided', true, 'alice', ${pending!.requested_event_id}, now())`;
    const call = await callTool(dev, "fetch_span", { object_id: RESTRICTED_DOC });
    t.is(structured(call.result).code, "ERR_MCP_ESCALATED");
    t.false(JSON.stringify(call.result).includes(CANARIES[0] as string));
    const verification = (await stack.gateway.client("auditor").verifyLedger({})).verification;
    t.false(verification?.ok);
    t.like(verification?.firstBreak, { table: "pecr_mcp_approval_steps", field: "event_id", expected: "MCP_APPROVAL" });
  });
}
