/**
 * What the controller sends the gateway on the caller's behalf (credentials, correlation ids, the session
 * token), RunStream's events, the run rate limit, the metrics and the logs.
 */
import test from "ava";
import { Code, ConnectError } from "@connectrpc/connect";
import { errors } from "#core/errors/pecr-error.js";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { createSigningKey, jwksOf, signToken } from "#core/auth/testing/signing-keys.js";
import { newUlid } from "#core/observability/request-ids.js";
import type { RunStreamResponse } from "#gen/pecr/controller/v1/controller_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { readCorpus } from "./support/fake-gateway.js";
import { as, createHarness, jsonOf } from "./support/controller-harness.js";

const QUESTION = "What are the support hours?";

test("local credentials, request id and trace id reach every gateway call; the token every call after CreateSession", async (t) => {
  const { client, gateway } = await createHarness({
    env: { PECR_LOCAL_AUTH_SHARED_SECRET: "s3cret" },
    hooks: { sharedSecret: "s3cret" },
  });
  const traceId = newUlid();
  const res = await client.run(
    { query: QUESTION },
    as("dev", { "x-pecr-local-auth-secret": "s3cret", "x-pecr-request-id": "req-42", "x-pecr-trace-id": traceId }),
  );
  t.is(res.terminalMode, TerminalMode.SUPPORTED);
  t.is(res.traceId, traceId);
  const [create, ...rest] = gateway.requests;
  t.is(create?.headers["x-pecr-session-token"], undefined);
  for (const request of gateway.requests) {
    t.is(request.headers["x-pecr-principal-id"], "dev", request.method);
    t.is(request.headers["x-pecr-local-auth-secret"], "s3cret", request.method);
    t.is(request.headers["x-pecr-request-id"], "req-42", request.method);
    t.is(request.headers["x-pecr-trace-id"], traceId, request.method);
  }
  for (const request of rest) t.regex(request.headers["x-pecr-session-token"] ?? "", /^[0-9a-f]{64}$/, request.method);
});

test("the requested as_of time is passed to CreateSession", async (t) => {
  const { client, gateway } = await createHarness();
  await client.run({ query: QUESTION, asOfTime: { seconds: 1_767_225_600n, nanos: 0 } }, as("dev"));
  t.is(gateway.requests[0]?.asOfSeconds, 1_767_225_600n);
});

test("a gateway answering CreateSession without a token is Unavailable, and no operator is called", async (t) => {
  const { client, gateway } = await createHarness({ hooks: { omitToken: true } });
  const error = ConnectError.from(await t.throwsAsync(client.run({ query: QUESTION }, as("dev"))));
  t.is(error.code, Code.Unavailable);
  t.is(error.rawMessage, "gateway returned no session token");
  t.deepEqual(gateway.requests.map((request) => request.method), ["CreateSession"]);
});

test("in oidc mode the caller's bearer token is verified, then forwarded to the gateway", async (t) => {
  const key = await createSigningKey("ES256", "test-kid");
  const { client, gateway } = await createHarness({
    env: {
      PECR_AUTH_MODE: "oidc",
      PECR_OIDC_ISSUER: "https://issuer.example",
      PECR_OIDC_JWKS_JSON: JSON.stringify(jwksOf(key)),
      PECR_OIDC_TENANT_ID_STATIC: "local",
    },
  });
  const now = Math.floor(Date.now() / 1000);
  const token = await signToken(key, { iss: "https://issuer.example", sub: "dev", exp: now + 300, iat: now });
  const res = await client.run({ query: QUESTION }, { headers: { authorization: `Bearer ${token}` } });
  t.is(res.terminalMode, TerminalMode.SUPPORTED);
  for (const request of gateway.requests) {
    t.is(request.headers.authorization, `Bearer ${token}`, request.method);
    t.is(request.headers["x-pecr-principal-id"], undefined, request.method);
  }
  const forged = await signToken(await createSigningKey("ES256", "test-kid"), { iss: "https://issuer.example", sub: "dev", exp: now + 300 });
  const before = gateway.requests.length;
  const error = ConnectError.from(await t.throwsAsync(client.run({ query: QUESTION }, { headers: { authorization: `Bearer ${forged}` } })));
  t.is(error.code, Code.Unauthenticated);
  t.is(gateway.requests.length, before);
});

test("a caller without credentials is refused before the gateway is called", async (t) => {
  const { client, gateway } = await createHarness();
  const error = ConnectError.from(await t.throwsAsync(client.run({ query: QUESTION })));
  t.is(error.code, Code.Unauthenticated);
  t.is(findErrorDetail(error)?.code, "ERR_POLICY_DENIED");
  t.is(gateway.requests.length, 0);
});

test("a caller with the wrong shared secret is refused", async (t) => {
  const { client, gateway } = await createHarness({ env: { PECR_LOCAL_AUTH_SHARED_SECRET: "s3cret" } });
  const error = ConnectError.from(
    await t.throwsAsync(client.run({ query: QUESTION }, as("dev", { "x-pecr-local-auth-secret": "guess" }))),
  );
  t.is(error.code, Code.Unauthenticated);
  t.is(findErrorDetail(error)?.code, "ERR_AUTH_INVALID");
  t.is(gateway.requests.length, 0);
});

test("RunStream sends session, operator, evidence and finalize events in order, then the result", async (t) => {
  const { client } = await createHarness();
  const events: RunStreamResponse[] = [];
  for await (const event of client.runStream({ query: QUESTION }, as("dev"))) events.push(event);
  const kinds = events.map((event) => event.event.case);
  t.is(kinds[0], "sessionStarted");
  t.is(kinds.at(-2), "finalize");
  t.is(kinds.at(-1), "result");
  t.deepEqual([...new Set(kinds.slice(1, -2))].sort(), ["evidence", "operatorCall"]);
  // Each evidence event follows the operator call that emitted it.
  kinds.forEach((kind, index) => {
    if (kind === "evidence") t.is(kinds[index - 1], "operatorCall");
  });
  const calls = events.flatMap((event) => (event.event.case === "operatorCall" ? [event.event.value] : []));
  t.true(calls.length >= 2);
  for (const call of calls) {
    t.is(call.outcome, TerminalMode.SUPPORTED);
    t.true(call.bytes > 0n);
    t.true(call.step === 1 || call.step === 2);
  }
  t.deepEqual(
    calls.map((call) => call.params?.params.case),
    [...calls.filter((call) => call.step === 1).map(() => "search"), "fetchSpan"],
  );
  const last = events.at(-1)!.event;
  const started = events[0]!.event;
  t.is(last.case === "result" ? last.value.terminalMode : undefined, TerminalMode.SUPPORTED);
  t.is(started.case === "sessionStarted" ? started.value.sessionId : "", last.case === "result" ? last.value.sessionId : "x");
  const finalize = events.at(-2)!.event;
  t.is(finalize.case === "finalize" ? finalize.value.coverageObserved : 0, 1);
  // Evidence events carry refs, never content.
  const evidenceJson = jsonOf(events.filter((event) => event.event.case === "evidence"));
  t.true(evidenceJson.includes("public/support_policy.txt"));
  t.false(evidenceJson.includes("Support hours are"));
});

test("RunStream reports failed calls with their outcome and error code, and so do the logs", async (t) => {
  const { client, logs } = await createHarness();
  const events: RunStreamResponse[] = [];
  for await (const event of client.runStream({ query: QUESTION }, as("guest"))) events.push(event);
  const failed = events.flatMap((event) => (event.event.case === "operatorCall" ? [event.event.value] : []));
  t.true(failed.length > 0);
  for (const call of failed) {
    t.is(call.outcome, TerminalMode.INSUFFICIENT_PERMISSION);
    t.is(call.errorCode, "ERR_POLICY_DENIED");
  }
  t.false(events.some((event) => event.event.case === "evidence"));
  const last = events.at(-1)!.event;
  t.is(last.case === "result" ? last.value.terminalMode : undefined, TerminalMode.INSUFFICIENT_PERMISSION);
  const logged = logs.filter((line) => line.msg === "controller.operator_call");
  t.is(logged.length, failed.length);
  for (const line of logged) t.like(line, { outcome: "error", terminal_mode: "INSUFFICIENT_PERMISSION", error_code: "ERR_POLICY_DENIED", result_bytes: 0 });
});

test("a RunStream whose session cannot be opened ends with the gateway's error and no event", async (t) => {
  const { client } = await createHarness({
    hooks: { createSessionError: (principal) => (principal === "blocked" ? errors.policyDenied() : undefined) },
  });
  const events: RunStreamResponse[] = [];
  const error = ConnectError.from(
    await t.throwsAsync(async () => {
      for await (const event of client.runStream({ query: QUESTION }, as("blocked"))) events.push(event);
    }),
  );
  t.is(error.code, Code.PermissionDenied);
  t.is(findErrorDetail(error)?.code, "ERR_POLICY_DENIED");
  t.deepEqual(events, []);
});

test("runs are rate limited per principal", async (t) => {
  const { client } = await createHarness({ env: { PECR_RATE_LIMIT_RUN_PER_WINDOW: "2" } });
  await client.run({ query: QUESTION }, as("dev"));
  await client.run({ query: QUESTION }, as("dev"));
  const error = ConnectError.from(await t.throwsAsync(client.run({ query: QUESTION }, as("dev"))));
  t.is(error.code, Code.ResourceExhausted);
  t.is(error.rawMessage, "rate limit exceeded for run requests");
  t.like(findErrorDetail(error), { code: "ERR_RATE_LIMITED", retryable: true });
  // Streams count too, and other principals have their own window.
  await t.throwsAsync(async () => {
    for await (const _ of client.runStream({ query: QUESTION }, as("dev"))) void _;
  });
  const other = await client.run({ query: QUESTION }, as("support"));
  t.is(other.terminalMode, TerminalMode.SUPPORTED);
});

test("a run limit of 0 turns rate limiting off", async (t) => {
  const { client } = await createHarness({ env: { PECR_RATE_LIMIT_RUN_PER_WINDOW: "0" } });
  for (let index = 0; index < 5; index++) await client.run({ query: QUESTION }, as("dev"));
  t.pass();
});

test("controller metrics start at zero and count terminal modes, loop steps and budget violations", async (t) => {
  const { client, app } = await createHarness();
  const before = await app.metrics.render();
  t.regex(before, /^pecr_controller_loop_iterations_total 0$/m);
  t.regex(before, /^pecr_controller_budget_violations_total 0$/m);
  await client.run({ query: QUESTION }, as("dev"));
  await client.run({ query: QUESTION }, as("guest"));
  await client.run({ query: QUESTION, budget: { maxOperatorCalls: 1, maxBytes: 100000n, maxWallclockMs: 5000n, maxRecursionDepth: 5 } }, as("dev"));
  const after = await app.metrics.render();
  t.regex(after, /^pecr_controller_terminal_modes_total\{terminal_mode="SUPPORTED"\} 1$/m);
  t.regex(after, /^pecr_controller_terminal_modes_total\{terminal_mode="INSUFFICIENT_PERMISSION"\} 1$/m);
  t.regex(after, /^pecr_controller_terminal_modes_total\{terminal_mode="INSUFFICIENT_EVIDENCE"\} 1$/m);
  t.regex(after, /^pecr_controller_loop_iterations_total 5$/m);
  t.regex(after, /^pecr_controller_budget_violations_total 1$/m);
});

test("logs name the session, trace, principal, snapshot and loop outcome, but never content, queries or evidence ids", async (t) => {
  const { client, logs } = await createHarness();
  const secretQuestion = "What are the support hours? zebra-marker-771";
  const res = await client.run({ query: secretQuestion }, as("dev", { "x-pecr-request-id": "req-log" }));
  const created = logs.find((line) => line.msg === "controller.gateway_session_created");
  t.like(created, { session_id: res.sessionId, trace_id: res.traceId, principal_id: "dev", request_id: "req-log" });
  t.regex(String(created?.policy_snapshot_id), /^[0-9A-Z]{26}$/);
  const completed = logs.find((line) => line.msg === "controller.context_loop_completed");
  t.like(completed, {
    terminal_mode: "SUPPORTED",
    stop_reason: "plan_complete",
    budget_violation: false,
    depth_used: 2,
    trace_id: res.traceId,
    request_id: "req-log",
  });
  t.true(Number(completed?.operator_calls_used) >= 2);
  t.true(Number(completed?.bytes_used) > 0);
  // One line per operator call, in call order, then one for finalize (reference §7.1 operator.* / finalize.compile).
  const calls = logs.filter((line) => line.msg === "controller.operator_call");
  t.is(calls.length, Number(completed?.operator_calls_used));
  t.is(calls[0]?.operator_name, "search");
  for (const call of calls) {
    t.like(call, { session_id: res.sessionId, trace_id: res.traceId, request_id: "req-log", outcome: "ok", terminal_mode: "SUPPORTED" });
    t.true(Number(call.result_bytes) > 0 && Number(call.latency_ms) >= 0);
  }
  t.like(logs.find((line) => line.msg === "controller.finalize"), { session_id: res.sessionId, terminal_mode: "SUPPORTED", coverage_observed: 1, request_id: "req-log" });
  const text = logs.map((line) => JSON.stringify(line)).join("\n");
  t.false(text.includes("zebra-marker-771"));
  t.false(text.includes("support hours"));
  for (const document of readCorpus().values()) {
    for (const line of document.split("\n").filter((item) => item.length > 12)) t.false(text.includes(line), line);
  }
  for (const ref of res.citedEvidence) t.false(text.includes(ref.evidenceUnitId));
  t.false(text.includes("PECR_CANARY"));
});
