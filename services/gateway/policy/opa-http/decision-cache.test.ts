import test from "ava";
import type { PolicyDecisionResult, PolicyInput } from "../policy-engine.js";
import { createDecisionCache, decisionCacheKey } from "./decision-cache.js";

const input: PolicyInput = {
  action: "operator_call",
  principal_id: "dev",
  tenant_id: "acme",
  roles: ["reader"],
  attributes: { team: "core", level: 3 },
  principal_kind: "human",
  policy_snapshot_hash: "a".repeat(64),
  policy_bundle_hash: "b".repeat(64),
  as_of_time: "2026-01-01T00:00:00Z",
  request_id: "req-1",
  trace_id: "01J0000000000000000000000A",
  session_id: "s-1",
  policy_snapshot_id: "snap-1",
  budget_hash: null,
  op_name: "search",
  params_hash: "c".repeat(64),
  params_bytes: 12,
  object_id: null,
  view_id: null,
  fields_hash: null,
  filter_fingerprint: null,
};

const allow: PolicyDecisionResult = { allow: true, cacheable: true, reason: "ok", redaction: undefined };

test("the cache key ignores request_id and trace_id", (t) => {
  t.is(decisionCacheKey(input), decisionCacheKey({ ...input, request_id: "req-2", trace_id: null }));
});

test("the cache key ignores property order, including inside attributes", (t) => {
  const reordered = Object.fromEntries(Object.entries(input).reverse()) as unknown as PolicyInput;
  t.is(decisionCacheKey(input), decisionCacheKey({ ...reordered, attributes: { level: 3, team: "core" } }));
});

test("the cache key separates every decided field", (t) => {
  const variants: Partial<PolicyInput>[] = [
    { principal_id: "support" },
    { tenant_id: "other" },
    { roles: ["admin"] },
    { attributes: { team: "core", level: 4 } },
    { policy_snapshot_hash: "d".repeat(64) },
    { policy_bundle_hash: "e".repeat(64) },
    { as_of_time: "2026-01-02T00:00:00Z" },
    { op_name: "fetch_span" },
    { object_id: "public/a.txt" },
  ];
  const keys = new Set([decisionCacheKey(input), ...variants.map((v) => decisionCacheKey({ ...input, ...v }))]);
  t.is(keys.size, variants.length + 1);
});

test("only cacheable decisions are stored", (t) => {
  const cache = createDecisionCache({ maxEntries: 4, ttlMs: 1000 });
  if (cache === undefined) return t.fail("cache should be enabled");
  t.false(cache.offer("k", { ...allow, cacheable: false }));
  t.is(cache.get("k"), undefined);
  t.true(cache.offer("k", allow));
  t.deepEqual(cache.get("k"), allow);
});

test("entries expire after the TTL", (t) => {
  const clock = { now: 1000 };
  const cache = createDecisionCache({ maxEntries: 4, ttlMs: 100, now: () => clock.now });
  if (cache === undefined) return t.fail("cache should be enabled");
  cache.offer("k", allow);
  clock.now = 1100;
  t.deepEqual(cache.get("k"), allow);
  clock.now = 1101;
  t.is(cache.get("k"), undefined);
});

test("the least recently used entry is evicted beyond the bound", (t) => {
  const cache = createDecisionCache({ maxEntries: 2, ttlMs: 1000 });
  if (cache === undefined) return t.fail("cache should be enabled");
  cache.offer("a", allow);
  cache.offer("b", allow);
  cache.get("a");
  cache.offer("c", allow);
  t.truthy(cache.get("a"));
  t.is(cache.get("b"), undefined);
  t.truthy(cache.get("c"));
  t.is(cache.size(), 2);
});

test("a zero bound or TTL disables the cache", (t) => {
  t.is(createDecisionCache({ maxEntries: 0, ttlMs: 1000 }), undefined);
  t.is(createDecisionCache({ maxEntries: 10, ttlMs: 0 }), undefined);
  t.throws(() => createDecisionCache({ maxEntries: -1, ttlMs: 1 }), { instanceOf: RangeError });
});
