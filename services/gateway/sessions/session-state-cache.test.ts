/**
 * The per-instance cache of committed session states: bounded, least recently used first out, and updated the
 * way the ledger writers update the row.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { PolicySnapshotSchema } from "#gen/pecr/v1/policy_pb.js";
import type { LoadedSession } from "../ledger/ledger-types.js";
import { applyRuntimeUpdate, createSessionStateCache } from "./session-state-cache.js";

function state(sessionId: string, evidenceUnitIds: string[] = []): LoadedSession {
  return {
    session: { sessionId, traceId: "t", principalId: "dev", tenantId: "local", policySnapshotId: "p", budget: create(BudgetSchema), createdAt: timestampFromMs(0) },
    snapshot: create(PolicySnapshotSchema),
    runtime: {
      tenantId: "local",
      sessionTokenHash: "h",
      tokenExpiresAt: timestampFromMs(1000),
      operatorCallsUsed: 2n,
      bytesUsed: 50n,
      evidenceUnitIds,
      finalized: false,
      version: 4n,
    },
  };
}

test("at capacity the least recently used session is dropped; a read counts as a use", (t) => {
  const cache = createSessionStateCache(2);
  cache.set("a", state("a"));
  cache.set("b", state("b"));
  t.truthy(cache.get("a"));
  cache.set("c", state("c"));
  t.truthy(cache.get("a"));
  t.is(cache.get("b"), undefined);
  t.truthy(cache.get("c"));
  t.is(cache.size, 2);
  cache.delete("a");
  t.is(cache.get("a"), undefined);
});

test("capacity 0 keeps nothing, so every call takes the lease", (t) => {
  const cache = createSessionStateCache(0);
  cache.set("a", state("a"));
  t.is(cache.get("a"), undefined);
  t.is(cache.size, 0);
});

test("an applied update replaces the counters, adds evidence ids as a sorted set, keeps finalization and bumps the version", (t) => {
  const before = state("a", ["bb", "dd"]);
  const after = applyRuntimeUpdate(before, {
    kind: "update",
    sessionId: "a",
    operatorCallsUsed: 3n,
    addEvidenceUnitIds: ["cc", "aa", "bb"],
    updatedAt: timestampFromMs(5),
  });
  t.like(after.runtime, { operatorCallsUsed: 3n, bytesUsed: 50n, finalized: false, version: 5n });
  t.deepEqual(after.runtime.evidenceUnitIds, ["aa", "bb", "cc", "dd"]);
  t.deepEqual(before.runtime.evidenceUnitIds, ["bb", "dd"], "the earlier state is not changed");
  const finalized = applyRuntimeUpdate(after, { kind: "update", sessionId: "a", finalized: true, updatedAt: timestampFromMs(6) });
  t.like(finalized.runtime, { finalized: true, operatorCallsUsed: 3n, version: 6n });
  t.true(applyRuntimeUpdate(finalized, { kind: "update", sessionId: "a", finalized: false, updatedAt: timestampFromMs(7) }).runtime.finalized);
});
