/**
 * The OPA-compatible Data API server, spoken to over real HTTP: decision documents, OPA's undefined-document
 * and error answers, health, and a round trip through the OPA client.
 */
import test, { type ExecutionContext } from "ava";
import { startOpaCompatibleServer } from "../../../services/gateway/policy/opa-compatible-server.js";
import type { PolicyDecisionResult, PolicyEngine } from "../../../services/gateway/policy/policy-engine.js";
import { engineFor } from "./assertions.js";
import { createRecordingEngine, sampleInput } from "./test-engines.js";

const redacted: PolicyDecisionResult = {
  allow: true,
  cacheable: true,
  reason: "operator_call_support_db",
  redaction: { kind: "deny_fields", fields: ["admin_note", "injection_note"] },
};

async function serve(t: ExecutionContext, engine: PolicyEngine) {
  const server = await startOpaCompatibleServer({ engine, host: "127.0.0.1", port: 0 });
  t.teardown(() => server.close());
  return server;
}

async function post(url: string, body: string) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: response.status, body: (await response.json()) as unknown };
}

test("the decision document is evaluated with the posted input and returned under result", async (t) => {
  const engine = createRecordingEngine(() => redacted);
  const server = await serve(t, engine);
  const input = sampleInput({ principal_id: "support", view_id: "safe_customer_view_support" });
  const answer = await post(`${server.url}/v1/data/pecr/authz/decision`, JSON.stringify({ input }));
  t.is(answer.status, 200);
  t.deepEqual(answer.body, {
    result: {
      allow: true,
      cacheable: true,
      reason: "operator_call_support_db",
      redaction: { deny_fields: ["admin_note", "injection_note"] },
    },
  });
  t.deepEqual(engine.inputs, [input]);
});

test("a decision without redaction is rendered with an empty redaction object", async (t) => {
  const server = await serve(t, createRecordingEngine(() => ({ ...redacted, allow: false, redaction: undefined })));
  const answer = await post(`${server.url}/v1/data/pecr/authz/decision`, JSON.stringify({ input: sampleInput() }));
  t.deepEqual(answer.body, {
    result: { allow: false, cacheable: true, reason: "operator_call_support_db", redaction: {} },
  });
});

test("the OPA client round-trips a decision through the server unchanged", async (t) => {
  const server = await serve(t, createRecordingEngine(() => redacted));
  const client = engineFor(t, server.url);
  t.deepEqual(await client.decide(sampleInput()), redacted);
  t.true(await client.ready());
});

test("another data path is an undefined document: 200 with no result, as OPA answers", async (t) => {
  const engine = createRecordingEngine(() => redacted);
  const server = await serve(t, engine);
  const answer = await post(`${server.url}/v1/data/pecr/authz/other`, JSON.stringify({ input: sampleInput() }));
  t.is(answer.status, 200);
  t.deepEqual(answer.body, {});
  t.is(engine.inputs.length, 0);
});

test("a body that is not JSON is a 400 invalid_parameter", async (t) => {
  const server = await serve(t, createRecordingEngine(() => redacted));
  const answer = await post(`${server.url}/v1/data/pecr/authz/decision`, "{oops");
  t.is(answer.status, 400);
  t.like(answer.body, { code: "invalid_parameter" });
});

test("a decision request whose input is not an object is a 400 invalid_parameter", async (t) => {
  const server = await serve(t, createRecordingEngine(() => redacted));
  for (const body of ["{}", JSON.stringify({ input: [1] }), JSON.stringify({ input: "dev" })]) {
    const answer = await post(`${server.url}/v1/data/pecr/authz/decision`, body);
    t.is(answer.status, 400, body);
    t.like(answer.body, { code: "invalid_parameter" });
  }
});

test("an engine failure is a 500 internal_error, which the OPA client treats as unavailable", async (t) => {
  const failing = createRecordingEngine(() => {
    throw new Error("evaluation exploded");
  });
  const server = await serve(t, failing);
  const answer = await post(`${server.url}/v1/data/pecr/authz/decision`, JSON.stringify({ input: sampleInput() }));
  t.is(answer.status, 500);
  t.like(answer.body, { code: "internal_error" });
  const client = engineFor(t, server.url, { retryBaseBackoffMs: 1 });
  await t.throwsAsync(client.decide(sampleInput()), { message: "policy engine unavailable" });
  t.is(failing.inputs.length, 4);
});

test("health answers 200 when the engine is ready and 500 when it is not", async (t) => {
  const ready = await serve(t, createRecordingEngine(() => redacted));
  const notReady = await serve(t, createRecordingEngine(() => redacted, { ready: false }));
  const up = await fetch(`${ready.url}/health`);
  t.is(up.status, 200);
  t.deepEqual(await up.json(), {});
  t.is((await fetch(`${notReady.url}/health`)).status, 500);
  t.false(await engineFor(t, notReady.url).ready());
});

test("unknown routes are 404 and a GET on the data API is 405", async (t) => {
  const server = await serve(t, createRecordingEngine(() => redacted));
  t.is((await fetch(`${server.url}/v1/policies`)).status, 404);
  t.is((await fetch(`${server.url}/v1/data/pecr/authz/decision`)).status, 405);
});

test("closing the server also closes idle keep-alive connections", async (t) => {
  const server = await startOpaCompatibleServer({
    engine: createRecordingEngine(() => redacted),
    host: "127.0.0.1",
    port: 0,
  });
  const client = engineFor(t, server.url);
  await client.decide(sampleInput());
  await server.close();
  t.false(await client.ready());
});
