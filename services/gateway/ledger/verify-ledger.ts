/**
 * `VerifyLedger`: checks the whole ledger and reports the first break (lowest seq).
 *
 * 1. Signed checkpoints are read first (so each refers to a head the chain had reached before the head row is
 *    read) and their key ids, signatures and fields checked; each must be in the chain, `(seq, head_hash)`:
 *    a checkpoint whose event is missing is a truncated tail, one whose hash differs a rewritten history.
 * 2. The chain from seq 1 to the head row's seq is verified (`verifyChainRange`): streamed in pages (the next
 *    page fetched while one is checked), every hash recomputed from the stored bytes, seq and links, decoded
 *    fields against the indexed columns, then the rows the page's events vouch for. Stored hashes break the
 *    serial dependency between events, so on a server the range is split among worker threads, each with its
 *    own connection (`workers`); a range starts from the stored hash of the event before it, which the
 *    neighbouring range verifies.
 * 3. With no break so far, every evidence unit, snapshot, claim map and version row is checked on its own
 *    (rows no event refers to report seq 0), and the MCP approval rows against their events and back.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { create } from "@bufbuild/protobuf";
import { type LedgerBreak, type LedgerVerification, LedgerVerificationSchema } from "#gen/pecr/v1/ledger_pb.js";
import { ZERO_HASH } from "#core/canonical/domain-hash.js";
import type { SqlExecutor } from "./database.js";
import { signingKeyId } from "./ledger-records.js";
import { MAIN_CHAIN_ID } from "./ledger-types.js";
import type { PostgresDatabaseOptions } from "./postgres-database.js";
import { checkEventPage, type EventRow, EVENTS_TABLE, ledgerBreak } from "./verify-events.js";
import { verifyMcpApprovals } from "./verify-mcp-approvals.js";
import { checkReferences, FirstBreak } from "./verify-references.js";
import {
  checkCheckpointRow,
  checkClaimMapRow,
  checkEvidenceRow,
  checkSnapshotRow,
  checkVersionRow,
  type CheckpointVerifyRow,
  type ClaimMapVerifyRow,
  type EvidenceVerifyRow,
  type SnapshotVerifyRow,
  type VersionVerifyRow,
} from "./verify-rows.js";

/** Options of a verification run. */
export interface VerifyOptions {
  /** The chain (default `main`). */
  readonly chainId?: string | undefined;
  /**
   * Raw Ed25519 public keys whose checkpoints are trusted. When given, a checkpoint signed by another key is a
   * break; when not, checkpoints are checked against the public key stored with them.
   */
  readonly trustedKeys?: readonly Uint8Array[] | undefined;
  /** Events per page (default 5000). */
  readonly pageSize?: number | undefined;
  /**
   * How to reach the same database from worker threads; with it, chains longer than `pageSize` are verified
   * by `workers` threads in parallel. PGlite is one process's database: it is always verified in this thread.
   */
  readonly connection?: PostgresDatabaseOptions | undefined;
  /** Worker threads (default: available cores, at most 4, for chains of 50 pages or more; else one). */
  readonly workers?: number | undefined;
}

/** What verifying a range of the chain found. */
export interface RangeResult {
  /** The first break in the range. */
  readonly firstBreak: LedgerBreak | undefined;
  /** Events verified before it. */
  readonly verified: bigint;
  /** Seq and stored hash of the last event verified (the range's start when none). */
  readonly last: { readonly seq: bigint; readonly hash: string };
}

/** Pages of events requested ahead of the one being checked. */
const PAGES_IN_FLIGHT = 2;

/** Verifies the events `from..to` (inclusive) of a chain and the rows they vouch for. */
export async function verifyChainRange(
  sql: SqlExecutor,
  chainId: string,
  from: bigint,
  to: bigint,
  pageSize: number,
): Promise<RangeResult> {
  let start = { seq: from - 1n, hash: ZERO_HASH };
  if (from > 1n) {
    const [before] = await sql<{ event_hash: string }>`
      SELECT event_hash FROM pecr_events WHERE chain_id = ${chainId} AND seq = ${from - 1n}`;
    // A missing predecessor is the previous range's break (a lower seq); this range then breaks on prev_hash.
    start = { seq: from - 1n, hash: before?.event_hash ?? "missing" };
  }
  // Pages are seq ranges, not `seq > after LIMIT n`: a range reads at most a page of index entries whatever the
  // planner believes, while a LIMIT on a table without fresh statistics can be planned as a sort of the rest.
  const fetchPage = (after: bigint) => {
    const upper = after + BigInt(pageSize) < to ? after + BigInt(pageSize) : to;
    return {
      upper,
      rows: sql<EventRow>`
        SELECT seq, event_hash, chain_id, event_id, event_type, pecr_epoch_us(event_time)::text AS event_us, trace_id,
          session_id, principal_id, policy_snapshot_id, request_id, prev_hash, encode(canonical_bytes, 'base64') AS bytes_b64
        FROM pecr_events WHERE chain_id = ${chainId} AND seq > ${after} AND seq <= ${upper}
        ORDER BY seq`,
    };
  };

  const first = new FirstBreak();
  let verified = 0n;
  let last = start;
  // Pages in flight: the server reads the next ones (on other pooled connections) while this thread checks one.
  const inFlight: { upper: bigint; rows: Promise<EventRow[]> }[] = [];
  let requestedUpTo = start.seq;
  const requestMore = () => {
    while (inFlight.length < PAGES_IN_FLIGHT && requestedUpTo < to) {
      const page = fetchPage(requestedUpTo);
      inFlight.push(page);
      requestedUpTo = page.upper;
    }
  };
  try {
    requestMore();
    for (let page = inFlight.shift(); page !== undefined; page = inFlight.shift()) {
      const rows = await page.rows;
      // An empty range means the events after `last` are missing: the tail check below reports the first of them
      // (stopping here also bounds the work when a forged head points far past the chain).
      if (rows.length === 0) break;
      requestMore();
      const checked = checkEventPage(rows, chainId, last);
      verified += BigInt(checked.verified);
      first.offer(checked.firstBreak);
      first.offer(await checkReferences(sql, checked.references));
      const lastVerified = rows[checked.verified - 1];
      if (lastVerified !== undefined) last = { seq: lastVerified.seq, hash: lastVerified.event_hash };
      if (first.value !== undefined) return { firstBreak: first.value, verified, last };
    }
  } finally {
    // Pages still being fetched after an early stop are abandoned.
    for (const page of inFlight) page.rows.catch(() => undefined);
  }
  if (last.seq < to) {
    // The range ends early: its tail is missing (deleted rows, or a head row pointing past the chain).
    first.offer(ledgerBreak(last.seq + 1n, EVENTS_TABLE, "seq", (last.seq + 1n).toString(), "missing"));
  }
  return { firstBreak: first.value, verified, last };
}

/** Verifies the ledger of `sql`'s schema. */
export async function verifyLedger(sql: SqlExecutor, options: VerifyOptions = {}): Promise<LedgerVerification> {
  const chainId = options.chainId ?? MAIN_CHAIN_ID;
  const pageSize = options.pageSize ?? 5000;
  const trusted = options.trustedKeys === undefined ? undefined : new Set(options.trustedKeys.map(signingKeyId));
  const first = new FirstBreak();

  const checkpoints = new Map<bigint, string[]>();
  for (const row of await sql<CheckpointVerifyRow>`
      SELECT chain_id, seq, head_hash, key_id, public_key, signature, pecr_epoch_us(checkpoint_at) AS checkpoint_us,
        canonical_bytes
      FROM pecr_checkpoints WHERE chain_id = ${chainId} ORDER BY seq, key_id`) {
    const found = checkCheckpointRow(row, trusted);
    first.offer(found);
    if (found === undefined && row.seq > 0n) checkpoints.set(row.seq, [...(checkpoints.get(row.seq) ?? []), row.head_hash]);
  }

  const [head] = await sql<{ seq: bigint; head_hash: string }>`
    SELECT seq, head_hash FROM pecr_chain_head WHERE chain_id = ${chainId}`;
  if (head === undefined) {
    first.offer(ledgerBreak(0n, "pecr_chain_head", "chain_id", chainId, "missing"));
    return result(first.value, 0n, 0n, 0n, "", 0n);
  }

  const chain = await verifyChain(sql, chainId, head.seq, pageSize, options);
  first.offer(chain.firstBreak);
  if (chain.firstBreak === undefined && chain.last.hash !== head.head_hash) {
    first.offer(ledgerBreak(head.seq, "pecr_chain_head", "head_hash", chain.last.hash, head.head_hash));
  }

  // Each valid checkpoint must still be in the chain.
  const seqs = [...checkpoints.keys()];
  const stored = new Map(
    (
      await sql<{ seq: bigint; event_hash: string }>`SELECT seq, event_hash FROM pecr_events
        WHERE chain_id = ${chainId} AND seq = ANY(${seqs.map(String)}::text[]::bigint[])`
    ).map((row) => [row.seq, row.event_hash]),
  );
  const matched: bigint[] = [];
  for (const [seq, hashes] of checkpoints) {
    const actual = stored.get(seq);
    const mismatch = hashes.find((hash) => hash !== actual);
    if (mismatch === undefined) matched.push(seq);
    else first.offer(ledgerBreak(seq, EVENTS_TABLE, "checkpoint", mismatch, actual ?? "missing"));
  }
  // The latest checkpoint that holds below the first break.
  const checkpointSeq = matched
    .filter((seq) => first.value === undefined || seq < first.value.seq)
    .reduce((latest, seq) => (seq > latest ? seq : latest), 0n);

  let evidenceVerified = 0n;
  if (first.value === undefined) {
    const scanned = await scanTables(sql, pageSize, chainId);
    first.offer(scanned.firstBreak);
    evidenceVerified = scanned.evidenceVerified;
  }
  return result(first.value, chain.verified, evidenceVerified, head.seq, head.head_hash, checkpointSeq);
}

/** Chains of at least this many pages are verified by worker threads by default. */
const PARALLEL_FROM_PAGES = 50;

/** Verifies events 1..headSeq, in this thread or split among worker threads. */
async function verifyChain(
  sql: SqlExecutor,
  chainId: string,
  headSeq: bigint,
  pageSize: number,
  options: VerifyOptions,
): Promise<RangeResult> {
  // Starting a worker costs the better part of a second (module loading), so by default only long chains
  // are split; an explicit `workers` count always is (when the chain has a page per worker).
  const pages = Number(headSeq / BigInt(pageSize));
  const workers = Math.min(options.workers ?? (pages >= PARALLEL_FROM_PAGES ? Math.min(availableParallelism(), 4) : 1), pages);
  if (options.connection === undefined || workers < 2) return verifyChainRange(sql, chainId, 1n, headSeq, pageSize);

  const size = headSeq / BigInt(workers);
  const ranges = Array.from({ length: workers }, (_, i) => ({
    from: BigInt(i) * size + 1n,
    to: i === workers - 1 ? headSeq : BigInt(i + 1) * size,
  }));
  const results = await Promise.all(
    ranges.map((range) => runRangeWorker({ connection: options.connection as PostgresDatabaseOptions, chainId, pageSize, ...range })),
  );
  const first = new FirstBreak();
  let verified = 0n;
  for (const rangeResult of results) {
    first.offer(rangeResult.firstBreak);
    // Only events below the first break count as verified.
    if (first.value === undefined || rangeResult.firstBreak === first.value) verified += rangeResult.verified;
    if (first.value !== undefined) break;
  }
  const last = results[results.length - 1]?.last ?? { seq: 0n, hash: ZERO_HASH };
  return { firstBreak: first.value, verified, last };
}

/** The request a range worker gets. */
export interface RangeRequest {
  /** How to connect. */
  readonly connection: PostgresDatabaseOptions;
  /** The chain. */
  readonly chainId: string;
  /** First seq of the range. */
  readonly from: bigint;
  /** Last seq of the range. */
  readonly to: bigint;
  /** Events per page. */
  readonly pageSize: number;
}

/**
 * Started in a worker thread, TypeScript sources need tsx's loader, which Node 20 does not pass on to workers:
 * a small bootstrap registers it and then imports the worker module.
 */
const TS_BOOTSTRAP = `import("tsx/esm/api").then(({ register }) => {
  register();
  return import(require("node:worker_threads").workerData.module);
});`;

function runRangeWorker(request: RangeRequest): Promise<RangeResult> {
  const source = import.meta.url.endsWith(".ts");
  const module = new URL(source ? "./verify-range-worker.ts" : "./verify-range-worker.js", import.meta.url);
  return new Promise((resolve, reject) => {
    const worker = source
      ? new Worker(TS_BOOTSTRAP, { eval: true, workerData: { module: module.href, request } })
      : new Worker(module, { workerData: { module: module.href, request } });
    worker.once("message", (message: RangeResult) => resolve(message));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`verification worker exited with code ${code}`));
    });
  });
}

function result(
  firstBreak: LedgerBreak | undefined,
  eventsVerified: bigint,
  evidenceVerified: bigint,
  headSeq: bigint,
  headHash: string,
  checkpointSeq: bigint,
): LedgerVerification {
  return create(LedgerVerificationSchema, {
    ok: firstBreak === undefined,
    eventsVerified,
    evidenceVerified,
    headSeq,
    headHash,
    checkpointSeq,
    firstBreak,
  });
}

/** Checks every row of the vouched-for tables on its own, in key order. */
async function scanTables(
  sql: SqlExecutor,
  pageSize: number,
  chainId: string,
): Promise<{ firstBreak: LedgerBreak | undefined; evidenceVerified: bigint }> {
  let evidenceVerified = 0n;
  for (let after = ""; ; ) {
    const rows = await sql<EvidenceVerifyRow>`
      SELECT evidence_unit_id, source_system, object_id, version_id, content_type, content_hash,
        pecr_epoch_us(as_of_time) AS as_of_us, pecr_epoch_us(retrieved_at) AS retrieved_us, policy_snapshot_id,
        policy_snapshot_hash, canonical_bytes, payload
      FROM pecr_evidence_units WHERE evidence_unit_id > ${after} ORDER BY evidence_unit_id LIMIT ${pageSize}`;
    for (const row of rows) {
      const found = checkEvidenceRow(row, 0n);
      if (found !== undefined) return { firstBreak: found, evidenceVerified };
      evidenceVerified++;
    }
    const tail = rows[rows.length - 1];
    if (tail === undefined || rows.length < pageSize) break;
    after = tail.evidence_unit_id;
  }
  for (let after = ""; ; ) {
    const rows = await sql<SnapshotVerifyRow>`
      SELECT policy_snapshot_id, policy_snapshot_hash, principal_id, tenant_id, pecr_epoch_us(as_of_time) AS as_of_us,
        policy_bundle_hash, pecr_epoch_us(evaluated_at) AS evaluated_us, canonical_bytes
      FROM pecr_policy_snapshots WHERE policy_snapshot_id > ${after} ORDER BY policy_snapshot_id LIMIT ${pageSize}`;
    for (const row of rows) {
      const found = checkSnapshotRow(row, 0n);
      if (found !== undefined) return { firstBreak: found, evidenceVerified };
    }
    const tail = rows[rows.length - 1];
    if (tail === undefined || rows.length < pageSize) break;
    after = tail.policy_snapshot_id;
  }
  for (let after = ""; ; ) {
    const rows = await sql<ClaimMapVerifyRow>`
      SELECT claim_map_id, terminal_mode, claim_map_hash, canonical_bytes FROM pecr_claim_maps
      WHERE claim_map_id > ${after} ORDER BY claim_map_id LIMIT ${pageSize}`;
    for (const row of rows) {
      const found = checkClaimMapRow(row, 0n);
      if (found !== undefined) return { firstBreak: found, evidenceVerified };
    }
    const tail = rows[rows.length - 1];
    if (tail === undefined || rows.length < pageSize) break;
    after = tail.claim_map_id;
  }
  // Versions hold whole objects: smaller pages.
  const versionPage = Math.max(1, Math.trunc(pageSize / 50));
  for (let after = ["", "", ""]; ; ) {
    const rows = await sql<VersionVerifyRow & { source_system: string; object_id: string }>`
      SELECT source_system, object_id, version_id, pecr_epoch_us(first_observed_as_of) AS first_observed_us,
        byte_length, bytes
      FROM pecr_source_versions
      WHERE (source_system, object_id, version_id) > (${after[0] ?? ""}, ${after[1] ?? ""}, ${after[2] ?? ""})
      ORDER BY source_system, object_id, version_id LIMIT ${versionPage}`;
    for (const row of rows) {
      const found = checkVersionRow(row, 0n);
      if (found !== undefined) return { firstBreak: found, evidenceVerified };
    }
    const tail = rows[rows.length - 1];
    if (tail === undefined || rows.length < versionPage) break;
    after = [tail.source_system, tail.object_id, tail.version_id];
  }
  const approvals = await verifyMcpApprovals(sql, chainId, pageSize);
  if (approvals !== undefined) return { firstBreak: approvals, evidenceVerified };
  return { firstBreak: undefined, evidenceVerified };
}
