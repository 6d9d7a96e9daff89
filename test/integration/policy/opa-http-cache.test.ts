/**
 * The OPA client's decision cache, against the OPA-compatible server: only cacheable decisions are reused, and
 * the key keeps principals, snapshots, bundles and as_of times apart while ignoring per-request ids.
 */
import test, { type ExecutionContext } from "ava";
import { startOpaCompatibleServer } from "../../../services/gateway/policy/opa-compatible-server.js";
import type { OpaHttpEngineOptions } from "../../../services/gateway/policy/opa-http/opa-http-options.js";
import type { PolicyInput } from "../../../services/gateway/policy/policy-engine.js";
import { engineFor } from "./assertions.js";
import { createRecordingEngine, sampleInput } from "./test-engines.js";

/** Operator calls are cacheable allows; session creation is a non-cacheable allow. */
async function setup(t: ExecutionContext, cache: Partial<OpaHttpEngineOptions> = { cacheMaxEntries: 100, cacheTtlMs: 60_000 }) {
  const policy = createRecordingEngine((input: PolicyInput) => ({
    allow: true,
    cacheable: input.action === "operator_call",
    reason: `${input.action}_${input.principal_id}`,
    redaction: undefined,
  }));
  const server = await startOpaCompatibleServer({ engine: policy, host: "127.0.0.1", port: 0 });
  t.teardown(() => server.close());
  return { policy, engine: engineFor(t, server.url, cache) };
}

test("a cacheable decision is served from the cache for an identical input", async (t) => {
  const { policy, engine } = await setup(t);
  const first = await engine.decide(sampleInput());
  const second = await engine.decide(sampleInput({ request_id: "req-2", trace_id: "01J00000000000000000000001" }));
  t.deepEqual(second, first);
  t.is(policy.inputs.length, 1);
  t.like(engine.stats(), { cacheHits: 1, cacheMisses: 1, cacheSize: 1 });
});

test("a decision that is not cacheable is asked for every time", async (t) => {
  const { policy, engine } = await setup(t);
  const input = sampleInput({ action: "create_session", op_name: null, session_id: null });
  await engine.decide(input);
  await engine.decide(input);
  t.is(policy.inputs.length, 2);
  t.like(engine.stats(), { cacheHits: 0, cacheSize: 0 });
});

test("the cache keeps principals, snapshots, bundles and as_of times apart", async (t) => {
  const { policy, engine } = await setup(t);
  const variants = [
    sampleInput(),
    sampleInput({ principal_id: "support" }),
    sampleInput({ policy_snapshot_hash: "d".repeat(64) }),
    sampleInput({ policy_bundle_hash: "e".repeat(64) }),
    sampleInput({ as_of_time: "2026-02-01T00:00:00Z" }),
  ];
  for (const input of variants) await engine.decide(input);
  t.is(policy.inputs.length, variants.length);
  const support = await engine.decide(sampleInput({ principal_id: "support" }));
  t.is(support.reason, "operator_call_support");
  t.is(policy.inputs.length, variants.length);
});

test("with the cache disabled every decision reaches the server", async (t) => {
  const { policy, engine } = await setup(t, { cacheMaxEntries: 0, cacheTtlMs: 60_000 });
  await engine.decide(sampleInput());
  await engine.decide(sampleInput());
  t.is(policy.inputs.length, 2);
  t.like(engine.stats(), { cacheHits: 0, cacheMisses: 0 });
});

test("an expired entry is asked for again", async (t) => {
  // Not 0: lru-cache treats an entry stored at time 0 as having no start time.
  const clock = { now: 5000 };
  const { policy, engine } = await setup(t, { cacheMaxEntries: 100, cacheTtlMs: 1000, now: () => clock.now });
  await engine.decide(sampleInput());
  clock.now = 5999;
  await engine.decide(sampleInput());
  t.is(policy.inputs.length, 1);
  clock.now = 6001;
  await engine.decide(sampleInput());
  t.is(policy.inputs.length, 2);
});
