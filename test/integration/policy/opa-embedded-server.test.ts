/**
 * The OPA-compatible server backed by the embedded engine and the repository's policy bundle: the OPA client
 * reaches the same decisions over HTTP as the embedded engine does in-process.
 */
import test from "ava";
import { createEmbeddedEngine } from "../../../services/gateway/policy/embedded-engine.js";
import { startOpaCompatibleServer } from "../../../services/gateway/policy/opa-compatible-server.js";
import { createOpaHttpEngine } from "../../../services/gateway/policy/opa-http/opa-http-engine.js";
import type { PolicyEngine } from "../../../services/gateway/policy/policy-engine.js";
import type { OpaCompatibleServer } from "../../../services/gateway/policy/opa-compatible-server.js";
import type { OpaHttpEngine } from "../../../services/gateway/policy/opa-http/opa-http-engine.js";
import { sampleInput } from "./test-engines.js";

let embedded: PolicyEngine;
let server: OpaCompatibleServer;
let client: OpaHttpEngine;

test.before(async () => {
  embedded = await createEmbeddedEngine({ bundleDir: "opa/bundle" });
  server = await startOpaCompatibleServer({ engine: embedded, host: "127.0.0.1", port: 0 });
  client = createOpaHttpEngine({ url: server.url, bundleHash: embedded.bundleHash, timeoutMs: 5000 });
});

test.after.always(async () => {
  await client?.close();
  await server?.close();
  await embedded?.close();
});

const session = { action: "create_session", session_id: null, policy_snapshot_id: null, op_name: null } as const;

const inputs = {
  "dev creates a session": sampleInput({ ...session, principal_id: "dev" }),
  "an unknown principal creates a session": sampleInput({ ...session, principal_id: "mallory" }),
  "dev searches": sampleInput({ principal_id: "dev", op_name: "search" }),
  "support reads a public document": sampleInput({
    principal_id: "support",
    op_name: "fetch_span",
    object_id: "public/readme.txt",
  }),
  "support reads a private document": sampleInput({
    principal_id: "support",
    op_name: "fetch_span",
    object_id: "private/salaries.txt",
  }),
  "support reads the support view": sampleInput({
    principal_id: "support",
    op_name: "fetch_rows",
    view_id: "safe_customer_view_support",
  }),
  "support redacts": sampleInput({ principal_id: "support", op_name: "redact" }),
  "guest searches": sampleInput({ principal_id: "guest", op_name: "search" }),
};

for (const [name, input] of Object.entries(inputs)) {
  test(`over HTTP the decision when ${name} equals the embedded engine's`, async (t) => {
    t.deepEqual(await client.decide(input), await embedded.decide(input));
  });
}

test("over HTTP dev may create a session and an unknown principal may not", async (t) => {
  t.true((await client.decide(inputs["dev creates a session"])).allow);
  t.like(await client.decide(inputs["an unknown principal creates a session"]), { allow: false, cacheable: false });
});

test("over HTTP support's view reads carry the policy's deny_fields redaction", async (t) => {
  const decision = await client.decide(inputs["support reads the support view"]);
  t.true(decision.allow);
  t.is(decision.redaction?.kind, "deny_fields");
  t.true(decision.redaction?.fields.includes("admin_note"));
});

test("the server is ready once the embedded engine is", async (t) => {
  t.true(await client.ready());
});
