/**
 * Ledger benchmark: events appended per second with group commit, with one event per transaction, and the
 * limit: plain single-row INSERTs of rows of the same size into a table without triggers or chain, at the same
 * concurrency, through the same connection pool. Then the verification rate. On embedded PGlite (a data
 * directory in a temporary folder) and, when a URL is given, on a real Postgres (a temporary schema).
 *
 *   npx tsx scripts/perf/ledger-bench.ts [--events 10000] [--verify-events 100000] [--concurrency 64] [--runs 3]
 *     [--db-url postgres://...] [--skip-pglite]
 *
 * The URL defaults to PECR_BENCH_DB_URL, then PECR_TEST_DB_URL. Each figure is the median of `--runs` runs;
 * ratios are computed from those medians. Before verifying, the chain is topped up to `--verify-events` events
 * (units of 10 events, group-committed). Targets: group commit >= 50% of raw INSERTs; verify >= 100k events/s.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import postgres from "postgres";
import { PolicyDecisionEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import type { LedgerDatabase } from "../../services/gateway/ledger/database.js";
import { createLedger } from "../../services/gateway/ledger/ledger.js";
import { sealEvent } from "../../services/gateway/ledger/ledger-records.js";
import { MAIN_CHAIN_ID, type UnsealedEvent } from "../../services/gateway/ledger/ledger-types.js";
import { migrate } from "../../services/gateway/ledger/migrations.js";
import { openPgliteDatabase } from "../../services/gateway/ledger/pglite-database.js";
import { createPostgresDatabase } from "../../services/gateway/ledger/postgres-database.js";
import { verifyLedger } from "../../services/gateway/ledger/verify-ledger.js";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "10000" },
    "verify-events": { type: "string", default: "100000" },
    concurrency: { type: "string", default: "64" },
    runs: { type: "string", default: "3" },
    "db-url": { type: "string" },
    "skip-pglite": { type: "boolean", default: false },
  },
});
const EVENTS = Number(args.events);
const CONCURRENCY = Number(args.concurrency);
const RUNS = Number(args.runs);
const VERIFY_EVENTS = Number(args["verify-events"]);
const DB_URL = args["db-url"] ?? process.env["PECR_BENCH_DB_URL"] ?? process.env["PECR_TEST_DB_URL"];
const POOL = 10;

let counter = 0;
/** A realistic event: an operator call's policy decision (about 330 canonical bytes). */
function decisionEvent(): UnsealedEvent {
  counter++;
  const time: Timestamp = create(TimestampSchema, { seconds: 1_767_225_600n + BigInt(counter >> 10), nanos: (counter % 1000) * 1_000_000 });
  return {
    eventId: `01JBENCH${counter.toString().padStart(18, "0")}`,
    eventTime: time,
    traceId: "01JTRACE000000000000000000",
    sessionId: "01JSESSION0000000000000000",
    principalId: "dev",
    policySnapshotId: "01JSNAPSHOT000000000000000",
    requestId: `req-${counter}`,
    payload: {
      case: "policyDecision",
      value: create(PolicyDecisionEventSchema, {
        action: PolicyAction.OPERATOR_CALL,
        opName: "fetch_span",
        allow: true,
        reason: "policy_allow",
        paramsHash: "ab".repeat(32),
      }),
    },
  };
}

/** Runs `total` tasks with `concurrency` workers; returns the elapsed seconds. */
async function timed(total: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

interface Fresh {
  readonly db: LedgerDatabase;
  dispose(): Promise<void>;
}

interface Backend {
  readonly name: string;
  fresh(): Promise<Fresh>;
}

function pgliteBackend(): Backend {
  return {
    name: "pglite (on disk)",
    async fresh() {
      const dir = await mkdtemp(join(tmpdir(), "pecr-ledger-bench-"));
      const db = await openPgliteDatabase({ dataDir: dir, schema: "public" });
      await migrate(db);
      return {
        db,
        async dispose() {
          await db.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function postgresBackend(url: string): Backend {
  return {
    name: "postgres",
    async fresh() {
      const schema = `pecr_bench_${randomBytes(4).toString("hex")}`;
      const db = createPostgresDatabase({ url, schema, maxConnections: POOL });
      await migrate(db);
      return {
        db,
        async dispose() {
          await db.close();
          const admin = postgres(url, { max: 1, onnotice: () => undefined });
          await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`;
          await admin.end();
        },
      };
    },
  };
}

/** Plain INSERTs of sealed rows into a copy of the events table without triggers, chain or extra indexes. */
async function rawInserts(db: LedgerDatabase): Promise<number> {
  await db.sql`CREATE TABLE pecr_bench_raw (chain_id text NOT NULL, seq bigint NOT NULL, event_id text NOT NULL,
    event_type text NOT NULL, event_time timestamptz NOT NULL, trace_id text NOT NULL, session_id text NOT NULL,
    principal_id text NOT NULL, policy_snapshot_id text NOT NULL, request_id text NOT NULL, prev_hash text NOT NULL,
    event_hash text NOT NULL, canonical_bytes bytea NOT NULL, PRIMARY KEY (chain_id, seq))`;
  const rows = Array.from({ length: EVENTS }, (_, i) => sealEvent(decisionEvent(), MAIN_CHAIN_ID, BigInt(i + 1), "0".repeat(64)));
  return timed(EVENTS, CONCURRENCY, async (i) => {
    const row = rows[i];
    if (row === undefined) return;
    const e = row.event;
    await db.sql`INSERT INTO pecr_bench_raw (chain_id, seq, event_id, event_type, event_time, trace_id, session_id,
        principal_id, policy_snapshot_id, request_id, prev_hash, event_hash, canonical_bytes)
      VALUES (${MAIN_CHAIN_ID}, ${row.seq}, ${e.eventId}, ${row.eventType}, ${"2026-01-01T00:00:00.000000Z"}::text::timestamptz,
        ${e.traceId}, ${e.sessionId}, ${e.principalId}, ${e.policySnapshotId}, ${e.requestId}, ${row.prevHash},
        ${row.eventHash}, ${row.canonicalBytes})`;
  });
}

/** Appends `EVENTS` one-event units; `maxBatchUnits` 1 means one event per transaction. */
async function appends(db: LedgerDatabase, maxBatchUnits: number): Promise<{ seconds: number; batches: number }> {
  const ledger = createLedger({ db, maxBatchUnits });
  const units = Array.from({ length: EVENTS }, () => ({ events: [decisionEvent()] }));
  const seconds = await timed(EVENTS, CONCURRENCY, (i) => ledger.commit(units[i] ?? { events: [] }));
  return { seconds, batches: ledger.stats().batches };
}

/** Appends `count` more events (units of 10, group-committed) so verification runs on a longer chain. */
async function topUp(db: LedgerDatabase, count: number): Promise<void> {
  if (count <= 0) return;
  const ledger = createLedger({ db });
  const units = Math.ceil(count / 10);
  await timed(units, CONCURRENCY, () => ledger.commit({ events: Array.from({ length: 10 }, decisionEvent) }));
}

interface Figures {
  raw: number[];
  single: number[];
  group: number[];
  groupBatches: number[];
  verify: number[];
  verifyParallel: number[];
}

/** Events verified per second, in this thread or with worker threads (a server only). */
async function verifyRate(db: LedgerDatabase, parallel: boolean): Promise<number> {
  const started = performance.now();
  const verification = await verifyLedger(db.sql, parallel ? { connection: db.connection } : {});
  const seconds = (performance.now() - started) / 1000;
  if (!verification.ok) throw new Error(`verification failed: ${JSON.stringify(verification.firstBreak)}`);
  return Number(verification.eventsVerified) / seconds;
}

async function measure(backend: Backend): Promise<Figures> {
  const figures: Figures = { raw: [], single: [], group: [], groupBatches: [], verify: [], verifyParallel: [] };
  for (let run = 0; run < RUNS; run++) {
    const fresh = await backend.fresh();
    try {
      figures.raw.push(EVENTS / (await rawInserts(fresh.db)));
      const single = await appends(fresh.db, 1);
      figures.single.push(EVENTS / single.seconds);
      const group = await appends(fresh.db, 256);
      figures.group.push(EVENTS / group.seconds);
      figures.groupBatches.push(group.batches);
      await topUp(fresh.db, VERIFY_EVENTS - 2 * EVENTS);
      figures.verify.push(await verifyRate(fresh.db, false));
      if (fresh.db.connection !== undefined) figures.verifyParallel.push(await verifyRate(fresh.db, true));
    } finally {
      await fresh.dispose();
    }
    process.stderr.write(`${backend.name}: run ${run + 1}/${RUNS} done\n`);
  }
  return figures;
}

const backends: Backend[] = [];
if (!args["skip-pglite"]) backends.push(pgliteBackend());
if (DB_URL !== undefined && DB_URL !== "") backends.push(postgresBackend(DB_URL));

const lines: string[] = [];
const format = (n: number) => Math.round(n).toLocaleString("en-US").padStart(10);
lines.push(
  `ledger-bench: ${EVENTS} events per append mode, ${CONCURRENCY} concurrent submitters, pool ${POOL}; ` +
    `verify over ${Math.max(VERIFY_EVENTS, 2 * EVENTS)} events; median of ${RUNS} runs`,
  "",
  `${"backend".padEnd(18)} ${"mode".padEnd(34)} ${"events/s".padStart(10)} ${"vs raw".padStart(8)}`,
);
for (const backend of backends) {
  const figures = await measure(backend);
  const raw = median(figures.raw);
  const row = (mode: string, value: number, ratio = true) =>
    lines.push(
      `${backend.name.padEnd(18)} ${mode.padEnd(34)} ${format(value)} ${ratio ? `${((value / raw) * 100).toFixed(0)}%`.padStart(8) : "".padStart(8)}`,
    );
  row("raw INSERT (limit)", raw);
  row("append, one event per transaction", median(figures.single));
  row(`append, group commit (~${Math.round(EVENTS / median(figures.groupBatches))}/batch)`, median(figures.group));
  row("verify, one thread", median(figures.verify), false);
  if (figures.verifyParallel.length > 0) {
    row(`verify, ${Math.min(availableParallelism(), 4)} worker threads`, median(figures.verifyParallel), false);
  }
}
console.log(lines.join("\n"));
