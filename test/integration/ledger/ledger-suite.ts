/**
 * The ledger suite, run unchanged on every backend (one test file per backend calls `registerLedgerSuite`).
 * Tampering is done the way an attacker with database access would: as the owner, with the triggers switched
 * off (`session_replication_role = replica`), and must still be detected by verification.
 */
import { readdirSync } from "node:fs";
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import test, { type ExecutionContext } from "ava";
import { create, fromBinary } from "@bufbuild/protobuf";
import { EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import { LedgerEventSchema, PolicyDecisionEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { PecrError } from "#core/errors/pecr-error.js";
import { createCheckpointSigner } from "../../../services/gateway/ledger/checkpoints.js";
import type { LedgerDatabase, SqlExecutor } from "../../../services/gateway/ledger/database.js";
import { createLedger, type Ledger } from "../../../services/gateway/ledger/ledger.js";
import { sealEvent } from "../../../services/gateway/ledger/ledger-records.js";
import type { CommitResult } from "../../../services/gateway/ledger/ledger-types.js";
import { RuntimeConflictError } from "../../../services/gateway/ledger/runtime-conflict.js";
import { DEFAULT_MIGRATIONS_DIR, migrate } from "../../../services/gateway/ledger/migrations.js";
import { openPgliteDatabase } from "../../../services/gateway/ledger/pglite-database.js";
import type { LedgerBackend } from "./ledger-harness.js";
import {
  at,
  createFixtureIds,
  evidenceUnit,
  type FixtureIds,
  fetchUnit,
  finalizeUnit,
  policyDecision,
  type SessionIds,
  sessionUnit,
  versionRecord,
} from "./ledger-fixtures.js";

const CHILD = fileURLToPath(new URL("./ledger-child.ts", import.meta.url));

/** Tables that must never change once written. */
const APPEND_ONLY_TABLES = [
  "pecr_policy_snapshots",
  "pecr_sessions",
  "pecr_events",
  "pecr_evidence_units",
  "pecr_claim_maps",
  "pecr_source_versions",
  "pecr_checkpoints",
] as const;

type AppendOnlyTable = (typeof APPEND_ONLY_TABLES)[number];

/** One UPDATE, DELETE and TRUNCATE per table, written out (identifiers are never interpolated). */
const MUTATIONS: Record<AppendOnlyTable, Record<"update" | "delete" | "truncate", (sql: SqlExecutor) => Promise<unknown>>> = {
  pecr_policy_snapshots: {
    update: (sql) => sql`UPDATE pecr_policy_snapshots SET principal_id = 'forged'`,
    delete: (sql) => sql`DELETE FROM pecr_policy_snapshots`,
    truncate: (sql) => sql`TRUNCATE pecr_policy_snapshots CASCADE`,
  },
  pecr_sessions: {
    update: (sql) => sql`UPDATE pecr_sessions SET principal_id = 'forged'`,
    delete: (sql) => sql`DELETE FROM pecr_sessions`,
    truncate: (sql) => sql`TRUNCATE pecr_sessions CASCADE`,
  },
  pecr_events: {
    update: (sql) => sql`UPDATE pecr_events SET request_id = 'forged'`,
    delete: (sql) => sql`DELETE FROM pecr_events`,
    truncate: (sql) => sql`TRUNCATE pecr_events CASCADE`,
  },
  pecr_evidence_units: {
    update: (sql) => sql`UPDATE pecr_evidence_units SET object_id = 'forged'`,
    delete: (sql) => sql`DELETE FROM pecr_evidence_units`,
    truncate: (sql) => sql`TRUNCATE pecr_evidence_units CASCADE`,
  },
  pecr_claim_maps: {
    update: (sql) => sql`UPDATE pecr_claim_maps SET terminal_mode = 'forged'`,
    delete: (sql) => sql`DELETE FROM pecr_claim_maps`,
    truncate: (sql) => sql`TRUNCATE pecr_claim_maps CASCADE`,
  },
  pecr_source_versions: {
    update: (sql) => sql`UPDATE pecr_source_versions SET object_id = 'forged'`,
    delete: (sql) => sql`DELETE FROM pecr_source_versions`,
    truncate: (sql) => sql`TRUNCATE pecr_source_versions CASCADE`,
  },
  pecr_checkpoints: {
    update: (sql) => sql`UPDATE pecr_checkpoints SET head_hash = 'forged'`,
    delete: (sql) => sql`DELETE FROM pecr_checkpoints`,
    truncate: (sql) => sql`TRUNCATE pecr_checkpoints CASCADE`,
  },
};

/** Registers the suite for `backend`. */
export function registerLedgerSuite(backend: LedgerBackend): void {
  const name = backend.name;
  test.after.always(() => backend.close());

  /** A fresh database and a ledger over it, disposed after the test. */
  async function setUp(t: ExecutionContext, options: Partial<Parameters<typeof createLedger>[0]> = {}) {
    const fresh = await backend.fresh();
    t.teardown(() => fresh.dispose());
    const ledger = createLedger({ db: fresh.db, ...options });
    return { fresh, ledger, ids: createFixtureIds("t") };
  }

  /** Runs `fn` as the owner with every trigger off, as an attacker with database access would. */
  function tamper(owner: LedgerDatabase, fn: (tx: SqlExecutor) => Promise<unknown>): Promise<unknown> {
    return owner.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      return fn(tx);
    });
  }

  /** A session and `units` units of `perUnit` policy decisions. */
  async function populate(ledger: Ledger, ids: FixtureIds, units: number, perUnit = 3): Promise<SessionIds> {
    const { unit, session } = sessionUnit(ids);
    await ledger.commit(unit);
    for (let i = 0; i < units; i++) {
      await ledger.commit({ events: Array.from({ length: perUnit }, () => policyDecision(ids, session)) });
    }
    return session;
  }

  async function eventHash(sql: SqlExecutor, seq: bigint): Promise<string> {
    const [row] = await sql<{ event_hash: string }>`SELECT event_hash FROM pecr_events WHERE seq = ${seq}`;
    if (row === undefined) throw new Error(`no event ${seq}`);
    return row.event_hash;
  }

  test(`${name}: running the migrations a second time applies nothing and changes nothing`, async (t) => {
    const { fresh } = await setUp(t);
    const tables = async () =>
      (await fresh.owner.sql<{ tablename: string }>`SELECT tablename FROM pg_tables
        WHERE schemaname = current_schema() ORDER BY tablename`).map((row) => row.tablename);
    const before = await tables();
    const again = await migrate(fresh.owner);
    t.deepEqual(again.applied, []);
    const files = readdirSync(DEFAULT_MIGRATIONS_DIR).filter((file) => file.endsWith(".sql")).sort();
    t.deepEqual(again.alreadyApplied, files.map((file) => file.replace(/\.sql$/, "")));
    t.true(again.alreadyApplied.includes("0001_ledger"));
    t.deepEqual(await tables(), before);
    t.true(before.includes("pecr_events") && before.includes("pecr_source_versions"));
    const heads = await fresh.owner.sql<{ seq: bigint }>`SELECT seq FROM pecr_chain_head`;
    t.deepEqual(heads.map((row) => row.seq), [0n]);
  });

  test(`${name}: UPDATE, DELETE and TRUNCATE are rejected on every append-only table`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const { unit, session } = sessionUnit(ids);
    await ledger.commit(unit);
    const evidence = [evidenceUnit(session, "a.txt", "alpha")];
    await ledger.commit({
      ...fetchUnit(ids, session, evidence),
      sourceVersions: [versionRecord(ids, session, "a.txt", "alpha", at(10))],
    });
    await ledger.commit(finalizeUnit(ids, session, [evidence[0]!.evidenceUnitId]));
    const { privateKey } = generateKeyPairSync("ed25519");
    await ledger.writeCheckpoint(createCheckpointSigner(privateKey), at(20));
    const counts = async () => {
      const [row] = await fresh.owner.sql<Record<AppendOnlyTable, bigint>>`SELECT
        (SELECT count(*) FROM pecr_policy_snapshots) AS pecr_policy_snapshots,
        (SELECT count(*) FROM pecr_sessions) AS pecr_sessions,
        (SELECT count(*) FROM pecr_events) AS pecr_events,
        (SELECT count(*) FROM pecr_evidence_units) AS pecr_evidence_units,
        (SELECT count(*) FROM pecr_claim_maps) AS pecr_claim_maps,
        (SELECT count(*) FROM pecr_source_versions) AS pecr_source_versions,
        (SELECT count(*) FROM pecr_checkpoints) AS pecr_checkpoints`;
      return row;
    };
    const before = await counts();
    for (const table of APPEND_ONLY_TABLES) {
      t.true((before?.[table] ?? 0n) >= 1n, `${table} has a row to protect`);
      for (const [operation, mutate] of Object.entries(MUTATIONS[table])) {
        // The owner (a superuser on Postgres) passes every privilege check: only the triggers stop it.
        const error = await t.throwsAsync(mutate(fresh.owner.sql), undefined, `${operation} ${table}`);
        t.is(error?.message, `append-only table: ${table}`, `${operation} ${table}`);
      }
    }
    t.deepEqual(await counts(), before);
    t.true((await ledger.verify()).ok);
  });

  test(`${name}: 8 concurrent writers of 500 events each build one unbroken chain`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 0);
    const writers = Array.from({ length: 8 }, () => createLedger({ db: fresh.another() }));
    const units: CommitResult[][] = await Promise.all(
      writers.map(async (writer, w) => {
        const writerIds = createFixtureIds(`w${w}`);
        const results: CommitResult[] = [];
        let remaining = 100;
        // Ten units of five events in flight per writer.
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (remaining-- > 0) {
              results.push(
                await writer.commit({ events: Array.from({ length: 5 }, () => policyDecision(writerIds, session)) }),
              );
            }
          }),
        );
        return results;
      }),
    );
    const total = 2 + 8 * 500;
    const rows = await fresh.owner.sql<{ seq: bigint; prev_hash: string; event_hash: string }>`
      SELECT seq, prev_hash, event_hash FROM pecr_events ORDER BY seq`;
    t.is(rows.length, total);
    t.deepEqual(rows.map((row) => row.seq), Array.from({ length: total }, (_, i) => BigInt(i + 1)));
    t.is(new Set(rows.map((row) => row.prev_hash)).size, total, "no prev_hash repeated");
    t.true(rows.every((row, i) => i === 0 || row.prev_hash === rows[i - 1]?.event_hash), "every link holds");
    for (const result of units.flat()) {
      const seqs = result.events.map((event) => event.seq);
      t.deepEqual(seqs, seqs.map((_, i) => (seqs[0] as bigint) + BigInt(i)), "a unit's events are consecutive");
    }
    const verification = await ledger.verify();
    t.true(verification.ok);
    t.is(verification.eventsVerified, BigInt(total));
    t.true(writers.some((writer) => writer.stats().largestBatch > 1), "units were batched");
  });

  test(`${name}: concurrent units are committed together in few transactions`, async (t) => {
    const { ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 0);
    const batchesBefore = ledger.stats().batches;
    const results = await Promise.all(
      Array.from({ length: 100 }, () => ledger.commit({ events: [policyDecision(ids, session)] })),
    );
    const seqs = results.map((result) => result.events[0]?.seq);
    t.is(new Set(seqs).size, 100);
    t.true(ledger.stats().batches - batchesBefore < 100);
    t.true(ledger.stats().largestBatch > 1);
  });

  test(`${name}: a unit whose lease was taken over fails alone and the rest of its batch commits`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 0);
    t.is((await ledger.acquireSessionLease(session.sessionId, "a", 0)).status, "acquired");
    t.is((await ledger.acquireSessionLease(session.sessionId, "b", 60_000)).status, "acquired");
    const stale = fetchUnit(ids, session, [evidenceUnit(session, "a.txt", "alpha")], { leaseOwner: "a", calls: 7n });
    const outcomes = await Promise.allSettled([
      ledger.commit({ events: [policyDecision(ids, session)] }),
      ledger.commit(stale),
      ledger.commit({ events: [policyDecision(ids, session)] }),
    ]);
    t.is(outcomes[0]?.status, "fulfilled");
    t.is(outcomes[2]?.status, "fulfilled");
    const failure = outcomes[1];
    t.is(failure?.status, "rejected");
    const reason = failure?.status === "rejected" ? failure.reason : undefined;
    t.true(reason instanceof PecrError);
    t.is((reason as PecrError).code, "ERR_LEDGER_UNAVAILABLE");
    const loaded = await ledger.loadSession(session.sessionId);
    t.is(loaded?.runtime.operatorCallsUsed, 0n, "the stale holder's counters were not written");
    const evidence = await fresh.owner.sql`SELECT 1 FROM pecr_evidence_units`;
    t.is(evidence.length, 0, "nothing of the failed unit was written");
    t.true((await ledger.verify()).ok);
  });

  test(`${name}: an optimistic runtime change applies only at the version it read with no lease held, else fails alone as a conflict`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 0);
    const sid = session.sessionId;
    t.is((await ledger.loadSession(sid))?.runtime.version, 0n);
    await ledger.commit(fetchUnit(ids, session, [], { expectVersion: 0n, calls: 1n }));
    t.like((await ledger.loadSession(sid))?.runtime, { version: 1n, operatorCallsUsed: 1n });
    const eventsBefore = (await ledger.verify()).eventsVerified;
    // Read at version 0, written after someone else's change: refused, in a batch whose other units commit.
    const outcomes = await Promise.allSettled([
      ledger.commit({ events: [policyDecision(ids, session)] }),
      ledger.commit(fetchUnit(ids, session, [evidenceUnit(session, "stale.txt", "stale")], { expectVersion: 0n, calls: 9n })),
      ledger.commit({ events: [policyDecision(ids, session)] }),
    ]);
    t.deepEqual(outcomes.map((outcome) => outcome.status), ["fulfilled", "rejected", "fulfilled"]);
    const reason = outcomes[1]?.status === "rejected" ? outcomes[1].reason : undefined;
    t.true(reason instanceof RuntimeConflictError, String(reason));
    t.is((reason as RuntimeConflictError).sessionId, sid);
    t.is((await fresh.owner.sql`SELECT 1 FROM pecr_evidence_units`).length, 0, "nothing of the refused unit was written");
    t.is((await ledger.verify()).eventsVerified, eventsBefore + 2n);
    // At the current version but with a lease held by another caller: refused too.
    t.is((await ledger.acquireSessionLease(sid, "b", 60_000)).status, "acquired");
    await t.throwsAsync(ledger.commit(fetchUnit(ids, session, [], { expectVersion: 1n, calls: 2n })), { instanceOf: RuntimeConflictError });
    // The holder's fenced change bumps the version like any other, and the lease-free change at it then applies.
    await ledger.commit(fetchUnit(ids, session, [], { leaseOwner: "b", releaseLease: true, calls: 2n }));
    await ledger.commit(fetchUnit(ids, session, [], { expectVersion: 2n, calls: 3n }));
    t.like((await ledger.loadSession(sid))?.runtime, { version: 3n, operatorCallsUsed: 3n });
    // A failure that is not a conflict (a session that does not exist) stays a ledger failure.
    const missing = { ...fetchUnit(ids, session, [], { expectVersion: 0n }), runtime: { kind: "update" as const, sessionId: "no-such-session", leaseOwner: "x", updatedAt: ids.time() } };
    const notConflict = await t.throwsAsync(ledger.commit(missing));
    t.false(notConflict instanceof RuntimeConflictError);
    t.true((await ledger.verify()).ok);
  });

  test(`${name}: a session lease has one holder; the other gets it after release or expiry`, async (t) => {
    const { ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 0);
    const sid = session.sessionId;
    t.is((await ledger.acquireSessionLease(sid, "a", 60_000)).status, "acquired");
    t.is((await ledger.acquireSessionLease(sid, "b", 60_000)).status, "busy");
    // The unit that ends a's call gives the lease back.
    await ledger.commit(fetchUnit(ids, session, [], { leaseOwner: "a", releaseLease: true }));
    t.is((await ledger.acquireSessionLease(sid, "b", 0)).status, "acquired");
    // b's lease expired at once (ttl 0): a can take it over.
    t.is((await ledger.acquireSessionLease(sid, "a", 60_000)).status, "acquired");
    t.is((await ledger.acquireSessionLease("no-such-session", "a", 1000)).status, "missing");

    const waiting = ledger.waitForSessionLease({ sessionId: sid, owner: "b", ttlMs: 60_000, timeoutMs: 20_000 });
    t.true(await ledger.releaseSessionLease(sid, "a"));
    await t.notThrowsAsync(waiting);
    const timeout = await t.throwsAsync(
      ledger.waitForSessionLease({ sessionId: sid, owner: "c", ttlMs: 1000, timeoutMs: 30 }),
    );
    t.is((timeout as PecrError).code, "ERR_SOURCE_TIMEOUT");
    const missing = await t.throwsAsync(
      ledger.waitForSessionLease({ sessionId: "no-such-session", owner: "c", ttlMs: 1000, timeoutMs: 1000 }),
    );
    t.is((missing as PecrError).message, "unknown session_id");
  });

  test(`${name}: evidence insert is idempotent and keeps the first session and trace`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const first = sessionUnit(ids);
    const second = sessionUnit(ids);
    await ledger.commit(first.unit);
    await ledger.commit(second.unit);
    // Same principal, as_of and bundle: both sessions' snapshots hash alike, so the unit's id is the same.
    const unitA = evidenceUnit(first.session, "a.txt", "alpha");
    const unitB = evidenceUnit(second.session, "a.txt", "alpha");
    t.is(unitA.evidenceUnitId, unitB.evidenceUnitId);
    await ledger.commit(fetchUnit(ids, first.session, [unitA]));
    await ledger.commit(fetchUnit(ids, second.session, [unitB]));
    const rows = await fresh.owner.sql<{ session_id: string; trace_id: string }>`
      SELECT session_id, trace_id FROM pecr_evidence_units`;
    t.deepEqual([...rows], [{ session_id: first.session.sessionId, trace_id: first.session.traceId }]);
    const emitted = await fresh.owner.sql`SELECT seq FROM pecr_events WHERE event_type = 'EVIDENCE_EMITTED'`;
    t.is(emitted.length, 2);
    const verification = await ledger.verify();
    t.true(verification.ok);
    t.is(verification.evidenceVerified, 1n);
  });

  test(`${name}: a source version observed twice keeps its first as_of and is announced once`, async (t) => {
    const { ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 0);
    const v1 = versionRecord(ids, session, "doc.txt", "version one", at(1000));
    const first = await ledger.commit({ sourceVersions: [v1] });
    t.deepEqual(first.events.map((event) => event.eventType), ["SOURCE_VERSION_OBSERVED"]);
    // Observed again from a session with an earlier as_of: a no-op.
    const again = await ledger.commit({ sourceVersions: [{ ...v1, observedAsOf: at(500), observedEvent: undefined }] });
    t.deepEqual(again.events, []);
    const repeated = await ledger.commit({ sourceVersions: [versionRecord(ids, session, "doc.txt", "version one", at(2))] });
    t.deepEqual(repeated.events, [], "no second SOURCE_VERSION_OBSERVED");
    await ledger.commit({ sourceVersions: [versionRecord(ids, session, "doc.txt", "version two", at(2000))] });

    const versions = await ledger.listVersions("fs_corpus", "doc.txt");
    t.deepEqual(versions.map((v) => [v.versionId, v.firstObservedAsOf.seconds, v.firstObservedAsOf.nanos]), [
      [v1.versionId, at(1000).seconds, at(1000).nanos],
      [versionRecord(ids, session, "doc.txt", "version two", at(0)).versionId, at(2000).seconds, at(2000).nanos],
    ]);
    t.is(await ledger.versionAt("fs_corpus", "doc.txt", at(700)), undefined);
    t.is((await ledger.versionAt("fs_corpus", "doc.txt", at(1000)))?.versionId, v1.versionId);
    t.is((await ledger.versionAt("fs_corpus", "doc.txt", at(1999)))?.versionId, v1.versionId);
    t.is((await ledger.versionAt("fs_corpus", "doc.txt", at(2500)))?.byteLength, BigInt("version two".length));
    t.deepEqual(await ledger.versionBytes("fs_corpus", "doc.txt", v1.versionId), new TextEncoder().encode("version one"));
    t.true((await ledger.verify()).ok);
  });

  test(`${name}: reads return sessions, evidence with its payload, and event pages as written`, async (t) => {
    const { ledger, ids } = await setUp(t, { evidencePayloads: "payload-enabled" });
    const { unit, session } = sessionUnit(ids);
    await ledger.commit(unit);
    const units = [evidenceUnit(session, "b.txt", "beta"), evidenceUnit(session, "a.txt", "alpha")];
    await ledger.commit(fetchUnit(ids, session, units, { calls: 1n }));
    await ledger.commit(finalizeUnit(ids, session, units.map((u) => u.evidenceUnitId)));

    const loaded = await ledger.loadSession(session.sessionId);
    t.deepEqual(loaded?.snapshot, session.snapshot);
    t.is(loaded?.session.traceId, session.traceId);
    t.is(loaded?.session.budget.maxOperatorCalls, 10);
    t.is(loaded?.runtime.operatorCallsUsed, 1n);
    t.true(loaded?.runtime.finalized);
    t.deepEqual(loaded?.runtime.evidenceUnitIds, units.map((u) => u.evidenceUnitId).sort());
    t.is(await ledger.loadSession("no-such-session"), undefined);

    const stored = await ledger.evidenceByIds(units.map((u) => u.evidenceUnitId));
    t.deepEqual(
      stored.map((s) => s.unit).sort((a, b) => a.evidenceUnitId.localeCompare(b.evidenceUnitId)),
      [...units].sort((a, b) => a.evidenceUnitId.localeCompare(b.evidenceUnitId)),
    );
    const page1 = await ledger.eventsBySession(session.sessionId, { limit: 3 });
    const page2 = await ledger.eventsBySession(session.sessionId, { afterSeq: page1[2]?.seq, limit: 100 });
    t.deepEqual(
      [...page1, ...page2].map((e) => e.eventType),
      ["POLICY_DECISION", "SESSION_CREATED", "POLICY_DECISION", "EVIDENCE_EMITTED", "EVIDENCE_EMITTED", "OPERATOR_CALL", "FINALIZE_RESULT"],
    );
    t.is((await ledger.eventsByTrace(session.traceId)).length, 7);
    t.deepEqual((await ledger.eventsAfter({ afterSeq: 6n })).map((e) => e.seq), [7n]);
    const verification = await ledger.verify();
    t.true(verification.ok);
    t.is(verification.evidenceVerified, 2n);
  });

  test(`${name}: checkpoints are written every N events and pin the signing key`, async (t) => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const signer = createCheckpointSigner(privateKey);
    const { fresh, ledger, ids } = await setUp(t, { checkpoints: { signer, everyEvents: 10, now: () => at(99) } });
    await populate(ledger, ids, 10, 3);
    const seqs = (await fresh.owner.sql<{ seq: bigint }>`SELECT seq FROM pecr_checkpoints ORDER BY seq`).map((r) => r.seq);
    t.true(seqs.length >= 3, `checkpoints at ${seqs.join(",")}`);
    const verification = await ledger.verify({ trustedKeys: [signer.publicKey] });
    t.true(verification.ok);
    t.is(verification.checkpointSeq, seqs[seqs.length - 1] ?? -1n);
    const other = createCheckpointSigner(generateKeyPairSync("ed25519").privateKey);
    const untrusted = await ledger.verify({ trustedKeys: [other.publicKey] });
    t.like(untrusted.firstBreak, { seq: seqs[0], table: "pecr_checkpoints", field: "key_id" });
  });

  test(`${name}: an edited payload byte is detected at its seq`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    await populate(ledger, ids, 6);
    await tamper(fresh.owner, (tx) => tx`UPDATE pecr_events
      SET canonical_bytes = set_byte(canonical_bytes, length(canonical_bytes) - 1,
        get_byte(canonical_bytes, length(canonical_bytes) - 1) # 1)
      WHERE seq = 7`);
    const verification = await ledger.verify();
    t.false(verification.ok);
    t.like(verification.firstBreak, { seq: 7n, table: "pecr_events", field: "event_hash" });
    t.is(verification.eventsVerified, 6n);
  });

  test(`${name}: an edited indexed column is detected against the hashed bytes`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 6);
    await tamper(fresh.owner, (tx) => tx`UPDATE pecr_events SET session_id = 'forged' WHERE seq = 9`);
    t.like((await ledger.verify()).firstBreak, {
      seq: 9n,
      table: "pecr_events",
      field: "session_id",
      expected: session.sessionId,
      actual: "forged",
    });
  });

  test(`${name}: a deleted event is detected as a gap at its seq`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    await populate(ledger, ids, 6);
    await tamper(fresh.owner, (tx) => tx`DELETE FROM pecr_events WHERE seq = 5`);
    t.like((await ledger.verify()).firstBreak, { seq: 5n, table: "pecr_events", field: "seq", expected: "5", actual: "6" });
  });

  test(`${name}: verified in small pages, whole missing pages and a head far past the chain are found at the first gap`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    await populate(ledger, ids, 6);
    t.like(await ledger.verify({ pageSize: 3 }), { ok: true });
    // Events 4..9 are two whole pages of three: the first missing event is the break.
    await tamper(fresh.owner, (tx) => tx`DELETE FROM pecr_events WHERE seq BETWEEN 4 AND 9`);
    t.like((await ledger.verify({ pageSize: 3 })).firstBreak, { seq: 4n, table: "pecr_events", field: "seq" });
    // A head row claiming a trillion events does not make verification read a trillion empty pages (it would
    // never finish): it stops at the first empty one.
    await tamper(fresh.owner, (tx) => tx`UPDATE pecr_chain_head SET seq = 1000000000000`);
    t.like((await ledger.verify({ pageSize: 3 })).firstBreak, { seq: 4n, table: "pecr_events", field: "seq" });
  });

  test(`${name}: two swapped events are detected at the first of them`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    await populate(ledger, ids, 6);
    await tamper(fresh.owner, async (tx) => {
      await tx`UPDATE pecr_events SET seq = 1000000 WHERE seq = 8`;
      await tx`UPDATE pecr_events SET seq = 8 WHERE seq = 9`;
      await tx`UPDATE pecr_events SET seq = 9 WHERE seq = 1000000`;
    });
    t.like((await ledger.verify()).firstBreak, { seq: 8n, table: "pecr_events", field: "prev_hash" });
  });

  test(`${name}: a truncated tail is detected against the last checkpoint`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    await populate(ledger, ids, 6);
    const { privateKey } = generateKeyPairSync("ed25519");
    const signer = createCheckpointSigner(privateKey);
    const checkpoint = await ledger.writeCheckpoint(signer, at(50));
    t.is(checkpoint.checkpoint?.seq, 20n);
    const checkpointHash = await eventHash(fresh.owner.sql, 20n);
    // Cut the last five events; the head row is left claiming them.
    await tamper(fresh.owner, (tx) => tx`DELETE FROM pecr_events WHERE seq > 15`);
    t.like((await ledger.verify()).firstBreak, { seq: 16n, table: "pecr_events", field: "seq", actual: "missing" });
    // A careful attacker also rewinds the head row: only the checkpoint still knows.
    const hash15 = await eventHash(fresh.owner.sql, 15n);
    await tamper(fresh.owner, (tx) => tx`UPDATE pecr_chain_head SET seq = 15, head_hash = ${hash15}`);
    const verification = await ledger.verify({ trustedKeys: [signer.publicKey] });
    t.like(verification.firstBreak, {
      seq: 20n,
      table: "pecr_events",
      field: "checkpoint",
      expected: checkpointHash,
      actual: "missing",
    });
    t.is(verification.headSeq, 15n);
  });

  test(`${name}: a history rewritten and re-hashed without the signing key is detected`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 6);
    const { privateKey } = generateKeyPairSync("ed25519");
    const signer = createCheckpointSigner(privateKey);
    await ledger.writeCheckpoint(signer, at(50));
    const original20 = await eventHash(fresh.owner.sql, 20n);
    for (let i = 0; i < 3; i++) await ledger.commit({ events: [policyDecision(ids, session)] });

    // Rewrite event 12 and re-seal every later event so that all hashes and links are consistent again.
    const rows = await fresh.owner.sql<{ seq: bigint; canonical_bytes: Uint8Array }>`
      SELECT seq, canonical_bytes FROM pecr_events WHERE seq >= 12 ORDER BY seq`;
    let prev = await eventHash(fresh.owner.sql, 11n);
    const forged = rows.map((row) => {
      const event = fromBinary(LedgerEventSchema, row.canonical_bytes);
      if (row.seq === 12n) {
        event.payload = {
          case: "policyDecision",
          value: create(PolicyDecisionEventSchema, { opName: "fetch_span", allow: true, reason: "forged" }),
        };
      }
      if (event.eventTime === undefined || event.payload.case === undefined) throw new Error("unexpected event");
      const sealed = sealEvent({ ...event, eventTime: event.eventTime, payload: event.payload }, "main", row.seq, prev);
      prev = sealed.eventHash;
      return sealed;
    });
    await tamper(fresh.owner, async (tx) => {
      for (const event of forged) {
        await tx`UPDATE pecr_events SET prev_hash = ${event.prevHash}, event_hash = ${event.eventHash},
          canonical_bytes = ${event.canonicalBytes} WHERE seq = ${event.seq}`;
      }
      await tx`UPDATE pecr_chain_head SET head_hash = ${prev}`;
    });
    const verification = await ledger.verify({ trustedKeys: [signer.publicKey] });
    t.like(verification.firstBreak, {
      seq: 20n,
      table: "pecr_events",
      field: "checkpoint",
      expected: original20,
      actual: forged.find((event) => event.seq === 20n)?.eventHash,
    });
    t.false(verification.ok);

    // Re-signing with a key of one's own does not help when the verifier pins the real key.
    const forger = createCheckpointSigner(generateKeyPairSync("ed25519").privateKey);
    await tamper(fresh.owner, (tx) => tx`DELETE FROM pecr_checkpoints`);
    await ledger.writeCheckpoint(forger, at(60));
    t.like((await ledger.verify({ trustedKeys: [signer.publicKey] })).firstBreak, {
      seq: 23n,
      table: "pecr_checkpoints",
      field: "key_id",
      actual: forger.keyId,
    });
  });

  test(`${name}: an evidence row edited consistently is detected at the event that emitted it`, async (t) => {
    const { fresh, ledger, ids } = await setUp(t);
    const session = await populate(ledger, ids, 2);
    const unit = evidenceUnit(session, "a.txt", "alpha");
    const { events } = await ledger.commit(fetchUnit(ids, session, [unit]));
    const emittedSeq = events.find((event) => event.eventType === "EVIDENCE_EMITTED")?.seq;
    const forged = create(EvidenceUnitSchema, { ...unit, content: { case: undefined }, objectId: "b.txt" });
    await tamper(fresh.owner, (tx) => tx`UPDATE pecr_evidence_units
      SET canonical_bytes = ${canonicalBytes(EvidenceUnitSchema, forged)}, object_id = 'b.txt'`);
    t.like((await ledger.verify()).firstBreak, {
      seq: emittedSeq,
      table: "pecr_evidence_units",
      field: "evidence_unit_id",
      actual: unit.evidenceUnitId,
    });
  });

  test(`${name}: a process killed in the middle of a batch leaves a chain that verifies without the batch`, async (t) => {
    const { fresh } = await setUp(t);
    let env: Record<string, string>;
    let reopen: () => Promise<LedgerDatabase>;
    if (fresh.childEnv !== undefined) {
      env = fresh.childEnv;
      reopen = async () => fresh.db;
    } else {
      // PGlite is one process's database: the child gets a data directory of its own on disk.
      const dir = await mkdtemp(join(tmpdir(), "pecr-ledger-kill-"));
      t.teardown(() => rm(dir, { recursive: true, force: true }));
      const onDisk = await openPgliteDatabase({ dataDir: join(dir, "ledger"), schema: "public" });
      await migrate(onDisk);
      await onDisk.close();
      env = { PECR_DATA_DIR: dir };
      reopen = async () => {
        const db = await openPgliteDatabase({ dataDir: join(dir, "ledger"), schema: "public" });
        t.teardown(() => db.close());
        return db;
      };
    }
    const child = spawnChild(["hang", "kill", "10"], env);
    const committed = BigInt((await child.line(/^committed (\d+)$/))[1] ?? "0");
    await child.line(/^in-batch \d+-\d+$/);
    child.process.kill("SIGKILL");
    await child.exited;

    const db = await reopen();
    const ledger = createLedger({ db });
    const verification = await ledger.verify();
    t.true(verification.ok, JSON.stringify(verification.firstBreak));
    t.is(verification.headSeq, committed, "none of the killed batch is in the chain");
    // The chain head lock was released with the dead connection: appending goes on.
    const next = await ledger.commit({
      events: [policyDecision(createFixtureIds("after"), { sessionId: "", traceId: "t-after", snapshotId: "" })],
    });
    t.is(next.events[0]?.seq, committed + 1n);
  });

  if (name === "postgres") {
    test(`${name}: two processes appending at once build one unbroken chain`, async (t) => {
      const { fresh, ledger } = await setUp(t);
      const env = fresh.childEnv as Record<string, string>;
      const children = [spawnChild(["append", "p1", "100", "5", "10"], env), spawnChild(["append", "p2", "100", "5", "10"], env)];
      for (const child of children) {
        await child.line(/^done 100$/);
        t.is(await child.exited, 0);
      }
      const verification = await ledger.verify();
      t.true(verification.ok, JSON.stringify(verification.firstBreak));
      t.is(verification.headSeq, 2n * (2n + 500n));
      const [row] = await fresh.owner.sql<{ n: bigint; links: bigint }>`
        SELECT count(*) AS n, count(DISTINCT prev_hash) AS links FROM pecr_events`;
      t.deepEqual(row, { n: 1004n, links: 1004n });
    });

    test(`${name}: verification split among worker threads finds the same first break`, async (t) => {
      const { fresh, ledger, ids } = await setUp(t);
      await populate(ledger, ids, 6);
      const parallel = { workers: 2, pageSize: 5 };
      const clean = await ledger.verify(parallel);
      t.true(clean.ok);
      t.is(clean.eventsVerified, 20n);
      // Seq 10 is the last event of the first worker's range: its gap and the second range's broken link
      // are both found; the lower seq is reported.
      await tamper(fresh.owner, (tx) => tx`DELETE FROM pecr_events WHERE seq = 10`);
      t.like((await ledger.verify(parallel)).firstBreak, { seq: 10n, table: "pecr_events", field: "seq", actual: "missing" });
      await tamper(fresh.owner, (tx) => tx`UPDATE pecr_events SET request_id = 'forged' WHERE seq = 4`);
      t.like((await ledger.verify(parallel)).firstBreak, { seq: 4n, field: "request_id", actual: "forged" });
    });

    test(`${name}: the application role cannot update, delete or truncate append-only tables even with their triggers disabled`, async (t) => {
      const { fresh, ledger, ids } = await setUp(t);
      await populate(ledger, ids, 2);
      const setTriggers = async (enabled: boolean) => {
        for (const table of APPEND_ONLY_TABLES) await TRIGGER_SWITCHES[table](fresh.owner.sql, enabled);
      };
      // No need to switch them back on: the test's schema is dropped afterwards.
      await setTriggers(false);
      for (const table of APPEND_ONLY_TABLES) {
        for (const [operation, mutate] of Object.entries(MUTATIONS[table])) {
          const error = await t.throwsAsync(mutate(fresh.db.sql), undefined, `${operation} ${table}`);
          t.regex(error?.message ?? "", /permission denied/, `${operation} ${table}`);
        }
      }
      t.true((await ledger.verify()).ok);
    });
  }
}

/** `ALTER TABLE ... ENABLE/DISABLE TRIGGER USER` per table, written out. */
const TRIGGER_SWITCHES: Record<AppendOnlyTable, (sql: SqlExecutor, enabled: boolean) => Promise<unknown>> = {
  pecr_policy_snapshots: (sql, on) =>
    on ? sql`ALTER TABLE pecr_policy_snapshots ENABLE TRIGGER USER` : sql`ALTER TABLE pecr_policy_snapshots DISABLE TRIGGER USER`,
  pecr_sessions: (sql, on) =>
    on ? sql`ALTER TABLE pecr_sessions ENABLE TRIGGER USER` : sql`ALTER TABLE pecr_sessions DISABLE TRIGGER USER`,
  pecr_events: (sql, on) =>
    on ? sql`ALTER TABLE pecr_events ENABLE TRIGGER USER` : sql`ALTER TABLE pecr_events DISABLE TRIGGER USER`,
  pecr_evidence_units: (sql, on) =>
    on ? sql`ALTER TABLE pecr_evidence_units ENABLE TRIGGER USER` : sql`ALTER TABLE pecr_evidence_units DISABLE TRIGGER USER`,
  pecr_claim_maps: (sql, on) =>
    on ? sql`ALTER TABLE pecr_claim_maps ENABLE TRIGGER USER` : sql`ALTER TABLE pecr_claim_maps DISABLE TRIGGER USER`,
  pecr_source_versions: (sql, on) =>
    on ? sql`ALTER TABLE pecr_source_versions ENABLE TRIGGER USER` : sql`ALTER TABLE pecr_source_versions DISABLE TRIGGER USER`,
  pecr_checkpoints: (sql, on) =>
    on ? sql`ALTER TABLE pecr_checkpoints ENABLE TRIGGER USER` : sql`ALTER TABLE pecr_checkpoints DISABLE TRIGGER USER`,
};

/** A child process running ledger-child.ts, with a way to wait for its output lines. */
function spawnChild(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(line);
      if (match !== null) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  // "close", not "exit": "exit" can come before the last lines the child wrote have been read from its stdout.
  const exited = once(child, "close").then(([code]) => code as number | null);
  return {
    process: child,
    exited,
    /** Resolves with the first line (seen or to come) matching `pattern`; rejects if the child exits first. */
    line(pattern: RegExp): Promise<RegExpExecArray> {
      for (const seen of lines) {
        const match = pattern.exec(seen);
        if (match !== null) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`child exited (${code}) before ${pattern}: ${stderr}`)));
      });
    },
  };
}
