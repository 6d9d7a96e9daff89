import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { PecrError } from "#core/errors/pecr-error.js";
import { loadBundle } from "./bundle.js";
import { createEmbeddedEngine } from "./embedded-engine.js";
import { samplePolicyInput } from "./testing/sample-policy-input.js";
import { RegoUnsupportedError } from "./rego/errors.js";

async function policyDir(t: { teardown(f: () => Promise<void>): void }, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pecr-engine-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "policy.rego"), text);
  return dir;
}

test("the repository policy decides grants, redactions and the default deny", async (t) => {
  const engine = await createEmbeddedEngine({ bundleDir: "opa/bundle" });
  t.teardown(() => engine.close());
  t.is(engine.kind, "embedded");
  t.is(engine.bundleHash, (await loadBundle("opa/bundle")).hash);
  t.deepEqual(await engine.decide(samplePolicyInput({})), { allow: true, cacheable: true, reason: "operator_call_dev", redaction: undefined });
  t.deepEqual(await engine.decide(samplePolicyInput({ principal_id: "support", op_name: "fetch_rows", view_id: "safe_customer_view_public" })), {
    allow: true,
    cacheable: true,
    reason: "operator_call_support_db",
    redaction: { kind: "deny_fields", fields: ["admin_note", "injection_note"] },
  });
  t.deepEqual(await engine.decide(samplePolicyInput({ principal_id: "u-1", roles: ["pecr:guest"], action: "create_session" })), {
    allow: true,
    cacheable: false,
    reason: "create_session_guest",
    redaction: undefined,
  });
  t.deepEqual(await engine.decide(samplePolicyInput({ principal_id: "guest" })), {
    allow: false,
    cacheable: false,
    reason: "default_deny",
    redaction: undefined,
  });
  t.like(await engine.decide(samplePolicyInput({ tenant_id: "" })), { allow: false, reason: "default_deny" });
  t.true(await engine.ready());
});

test("an unsupported builtin fails the engine at startup with file:line:col and its name", async (t) => {
  const dir = await policyDir(t, 'package pecr.authz\n\ndecision := d if {\n\td := http.send({"url": "https://example.test"})\n}\n');
  const err = await t.throwsAsync(createEmbeddedEngine({ bundleDir: dir }), { instanceOf: RegoUnsupportedError });
  t.is(err?.construct, "http.send");
  t.regex(err?.message ?? "", /^policy\.rego:4:7: rego_unsupported_error: unsupported builtin: http\.send/);
});

test("conflicting decisions at request time fail closed as ERR_SOURCE_UNAVAILABLE", async (t) => {
  const dir = await policyDir(
    t,
    'package pecr.authz\n\ndecision := {"allow": true} if input.principal_id == "dev"\n\ndecision := {"allow": false} if input.tenant_id == "tenant-a"\n',
  );
  const engine = await createEmbeddedEngine({ bundleDir: dir });
  t.teardown(() => engine.close());
  const err = await t.throwsAsync(engine.decide(samplePolicyInput({})), { instanceOf: PecrError });
  t.is(err?.code, "ERR_SOURCE_UNAVAILABLE");
  t.is(err?.message, "policy engine unavailable");
  t.like(await engine.decide(samplePolicyInput({ principal_id: "guest" })), { allow: false });
});

test("a malformed or undefined decision is a deny with reason invalid_policy_decision", async (t) => {
  const dir = await policyDir(t, 'package pecr.authz\n\ndecision := {"allow": "yes"} if input.principal_id == "dev"\n');
  const engine = await createEmbeddedEngine({ bundleDir: dir });
  t.teardown(() => engine.close());
  t.like(await engine.decide(samplePolicyInput({})), { allow: false, reason: "invalid_policy_decision" });
  t.like(await engine.decide(samplePolicyInput({ principal_id: "guest" })), { allow: false, reason: "invalid_policy_decision" });
});

test("an aborted decision rejects with ERR_SOURCE_TIMEOUT and a closed engine is not ready", async (t) => {
  const engine = await createEmbeddedEngine({ bundleDir: "opa/bundle" });
  const controller = new AbortController();
  controller.abort();
  const err = await t.throwsAsync(engine.decide(samplePolicyInput({}), { signal: controller.signal }), { instanceOf: PecrError });
  t.is(err?.code, "ERR_SOURCE_TIMEOUT");
  await engine.close();
  t.false(await engine.ready());
  await t.throwsAsync(engine.decide(samplePolicyInput({})), { instanceOf: PecrError, message: "policy engine unavailable" });
});
