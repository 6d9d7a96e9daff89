/**
 * The locking batch writer: inside the caller's transaction it locks the chain head, writes every unit's rows
 * (one statement per row kind for all units), seals all their events in order after the head, appends them with
 * one statement and moves the head. The caller commits. Statements run one after another: this path must work on
 * both backends and whatever the driver does with concurrently issued queries. (The one-statement writer,
 * one-statement-writer.ts, is the fast path on Postgres; this one is its fallback and PGlite's only path.)
 */
import type { SqlExecutor } from "./database.js";
import {
  checkSourceVersion,
  claimMapRow,
  evidenceRow,
  type EvidenceRow,
  sealEvents,
  snapshotRow,
  type SnapshotRow,
  sourceVersionObservedEvent,
} from "./ledger-records.js";
import type {
  CommitResult,
  EvidencePayloadMode,
  RuntimeInsert,
  RuntimeUpdate,
  SealedEvent,
  SessionRecord,
  SourceVersionRecord,
  UnitOfWork,
  UnsealedEvent,
} from "./ledger-types.js";
import { writeMcpApproval } from "./mcp-approval-writes.js";
import { RUNTIME_NOT_UPDATED } from "./runtime-conflict.js";
import {
  claimMapColumns,
  eventColumns,
  evidenceColumns,
  type RuntimeChange,
  runtimeChangeColumns,
  runtimeInsertColumns,
  sessionColumns,
  snapshotColumns,
  sourceVersionColumns,
} from "./row-columns.js";
import { timestampText } from "./sql-time.js";

/** How units are written. */
export interface UnitWriterOptions {
  /** The chain appended to. */
  readonly chainId: string;
  /** Whether evidence content is stored. */
  readonly evidencePayloads: EvidencePayloadMode;
}

/** ChainHeadMissingError is thrown when the chain's head row does not exist (migrations not applied). */
export class ChainHeadMissingError extends Error {
  override readonly name = "ChainHeadMissingError";
}

/** The chain head as locked by a writer. */
export interface ChainHead {
  /** Seq of the last event (0 for an empty chain). */
  readonly seq: bigint;
  /** Hash of the last event (64 zeros for an empty chain). */
  readonly hash: string;
}

/** Reads the chain's head without locking it. */
export async function readChainHead(sql: SqlExecutor, chainId: string): Promise<ChainHead> {
  const [head] = await sql<{ seq: bigint; head_hash: string }>`
    SELECT seq, head_hash FROM pecr_chain_head WHERE chain_id = ${chainId}`;
  if (head === undefined) throw new ChainHeadMissingError(`no chain head row for chain ${chainId}`);
  return { seq: head.seq, hash: head.head_hash };
}

/** Locks the chain's head row until the transaction ends and returns it. */
export async function lockChainHead(tx: SqlExecutor, chainId: string): Promise<ChainHead> {
  const [head] = await tx<{ seq: bigint; head_hash: string }>`
    SELECT seq, head_hash FROM pecr_chain_head WHERE chain_id = ${chainId} FOR UPDATE`;
  if (head === undefined) throw new ChainHeadMissingError(`no chain head row for chain ${chainId}`);
  return { seq: head.seq, hash: head.head_hash };
}

/** Writes `units` in the current transaction and returns each unit's sealed events. */
export async function writeUnits(
  tx: SqlExecutor,
  units: readonly UnitOfWork[],
  options: UnitWriterOptions,
): Promise<{ results: CommitResult[]; sealed: SealedEvent[] }> {
  const rows = batchRows(units, options);
  const head = await lockChainHead(tx, options.chainId);
  if (rows.snapshots.length > 0) await insertSnapshots(tx, rows.snapshots);
  if (rows.sessions.length > 0) await insertSessions(tx, rows.sessions);
  if (rows.runtimeInserts.length > 0) await insertRuntimes(tx, rows.runtimeInserts);
  if (rows.runtimeChanges.length > 0) await updateRuntimes(tx, rows.runtimeChanges);
  if (rows.evidence.length > 0) await insertEvidence(tx, rows.evidence);
  if (rows.claimMaps.length > 0) await insertClaimMaps(tx, rows.claimMaps);
  for (const unit of units) if (unit.mcpApproval !== undefined) await writeMcpApproval(tx, unit.mcpApproval);
  // Only the first observation of a version is an event: which ones are first is known from RETURNING.
  const perUnit: UnsealedEvent[][] = [];
  for (const unit of units) {
    const events = [...(unit.events ?? [])];
    for (const version of unit.sourceVersions ?? []) {
      const c = sourceVersionColumns([version]);
      const inserted = await tx`INSERT INTO pecr_source_versions (source_system, object_id, version_id,
          first_observed_as_of, byte_length, bytes)
        SELECT u.source, u.object, u.version, u.observed, u.length, decode(u.bytes, 'hex')
        FROM unnest(${c.sources}::text[], ${c.objects}::text[], ${c.versions}::text[], ${c.observed}::text[]::timestamptz[],
          ${c.lengths}::text[]::bigint[], ${c.bytes}::text[]) AS u(source, object, version, observed, length, bytes)
        ON CONFLICT (source_system, object_id, version_id) DO NOTHING
        RETURNING version_id`;
      if (inserted.length > 0 && version.observedEvent !== undefined) events.push(sourceVersionObservedEvent(version.observedEvent, version));
    }
    perUnit.push(events);
  }

  const sealed = sealEvents(perUnit.flat(), options.chainId, head);
  const last = sealed.at(-1);
  if (last !== undefined) {
    await insertEvents(tx, options.chainId, sealed);
    await tx`UPDATE pecr_chain_head SET seq = ${last.seq}, head_hash = ${last.eventHash}, updated_at = now()
      WHERE chain_id = ${options.chainId}`;
  }
  return { results: splitResults(perUnit, sealed), sealed };
}

/** Every row of a batch, built (and checked against its identity) before anything is written. */
export interface BatchRows {
  /** Policy snapshots. */
  readonly snapshots: SnapshotRow[];
  /** Sessions. */
  readonly sessions: SessionRecord[];
  /** New runtime rows. */
  readonly runtimeInserts: RuntimeInsert[];
  /** Runtime changes (counters, evidence, finalization, lease release). */
  readonly runtimeChanges: RuntimeChange[];
  /** Evidence units. */
  readonly evidence: EvidenceRow[];
  /** Claim maps. */
  readonly claimMaps: ReturnType<typeof claimMapRow>[];
  /** Source versions, checked against their content. */
  readonly sourceVersions: SourceVersionRecord[];
}

/** Builds the rows of `units`. Throws LedgerRecordError for a record that does not match its identity. */
export function batchRows(units: readonly UnitOfWork[], options: UnitWriterOptions): BatchRows {
  const sourceVersions = units.flatMap((unit) => unit.sourceVersions ?? []);
  for (const version of sourceVersions) checkSourceVersion(version);
  return {
    snapshots: units.flatMap((unit) => (unit.policySnapshot === undefined ? [] : [snapshotRow(unit.policySnapshot)])),
    sessions: units.flatMap((unit) => (unit.session === undefined ? [] : [unit.session])),
    runtimeInserts: units.flatMap((unit) => (unit.runtime?.kind === "insert" ? [unit.runtime] : [])),
    runtimeChanges: units.flatMap(runtimeChangeOf),
    evidence: units.flatMap((unit) => (unit.evidence ?? []).map((record) => evidenceRow(record, options.evidencePayloads))),
    claimMaps: units.flatMap((unit) => (unit.claimMap === undefined ? [] : [claimMapRow(unit.claimMap)])),
    sourceVersions,
  };
}

/** Splits a batch's sealed events back into each unit's. */
export function splitResults(perUnit: readonly (readonly UnsealedEvent[])[], sealed: readonly SealedEvent[]): CommitResult[] {
  const results: CommitResult[] = [];
  let offset = 0;
  for (const events of perUnit) {
    results.push({ events: sealed.slice(offset, offset + events.length) });
    offset += events.length;
  }
  return results;
}

async function insertSnapshots(tx: SqlExecutor, rows: readonly SnapshotRow[]): Promise<void> {
  const c = snapshotColumns(rows);
  await tx`INSERT INTO pecr_policy_snapshots (policy_snapshot_id, policy_snapshot_hash, principal_id, tenant_id,
      as_of_time, policy_bundle_hash, evaluated_at, canonical_bytes)
    SELECT u.id, u.hash, u.principal, u.tenant, u.as_of, u.bundle, u.evaluated, decode(u.bytes, 'hex')
    FROM unnest(${c.ids}::text[], ${c.hashes}::text[], ${c.principals}::text[], ${c.tenants}::text[],
      ${c.asOf}::text[]::timestamptz[], ${c.bundles}::text[], ${c.evaluated}::text[]::timestamptz[], ${c.bytes}::text[])
      AS u(id, hash, principal, tenant, as_of, bundle, evaluated, bytes)`;
}

async function insertSessions(tx: SqlExecutor, sessions: readonly SessionRecord[]): Promise<void> {
  const c = sessionColumns(sessions);
  await tx`INSERT INTO pecr_sessions (session_id, trace_id, principal_id, tenant_id, policy_snapshot_id, budget,
      session_created_at)
    SELECT u.id, u.trace, u.principal, u.tenant, u.snapshot, decode(u.budget, 'hex'), u.created
    FROM unnest(${c.ids}::text[], ${c.traces}::text[], ${c.principals}::text[], ${c.tenants}::text[],
      ${c.snapshots}::text[], ${c.budgets}::text[], ${c.created}::text[]::timestamptz[])
      AS u(id, trace, principal, tenant, snapshot, budget, created)`;
}

async function insertRuntimes(tx: SqlExecutor, runtimes: readonly RuntimeInsert[]): Promise<void> {
  const c = runtimeInsertColumns(runtimes);
  await tx`INSERT INTO pecr_session_runtime (session_id, tenant_id, session_token_hash, token_expires_at, updated_at)
    SELECT u.id, u.tenant, u.token_hash, u.expires, u.updated
    FROM unnest(${c.ids}::text[], ${c.tenants}::text[], ${c.tokenHashes}::text[],
      ${c.expires}::text[]::timestamptz[], ${c.updated}::text[]::timestamptz[])
      AS u(id, tenant, token_hash, expires, updated)`;
}

/** A unit's runtime changes: its update and its lease release (one change when both are for one session). */
export function runtimeChangeOf(unit: UnitOfWork): RuntimeChange[] {
  const update = unit.runtime?.kind === "update" ? unit.runtime : undefined;
  const release = unit.releaseLease;
  if (update === undefined && release === undefined) return [];
  if (update !== undefined && release !== undefined && release.sessionId !== update.sessionId) {
    return [runtimeChange(update, undefined), runtimeChange(undefined, release)];
  }
  return [runtimeChange(update, release)];
}

function runtimeChange(update: RuntimeUpdate | undefined, release: UnitOfWork["releaseLease"]): RuntimeChange {
  return {
    sessionId: (update?.sessionId ?? release?.sessionId) as string,
    fenceOwner: update?.leaseOwner ?? null,
    releaseOwner: release?.owner ?? null,
    expectVersion: update?.expectVersion ?? null,
    operatorCallsUsed: update?.operatorCallsUsed ?? null,
    bytesUsed: update?.bytesUsed ?? null,
    addEvidenceUnitIds: update?.addEvidenceUnitIds ?? [],
    finalized: update?.finalized ?? false,
    required: update !== undefined,
    updatedAt: update === undefined ? null : timestampText(update.updatedAt),
  };
}

/**
 * Applies every unit's runtime change with one statement. A fenced change whose session's lease is held by
 * someone else updates nothing; the statement then fails inside the transaction (`pecr_require`), because a unit
 * whose lease expired must not overwrite newer counters, and the group-commit writer retries the units one by one
 * so only the fenced-out unit fails. Releasing a lease no longer held is a no-op.
 */
async function updateRuntimes(tx: SqlExecutor, changes: readonly RuntimeChange[]): Promise<void> {
  const c = runtimeChangeColumns(changes);
  await tx`WITH changed AS (UPDATE pecr_session_runtime AS r SET
      operator_calls_used = coalesce(u.calls, r.operator_calls_used),
      bytes_used = coalesce(u.bytes, r.bytes_used),
      evidence_unit_ids = CASE WHEN u.add_ids = '[]' THEN r.evidence_unit_ids
        ELSE ARRAY(SELECT DISTINCT id COLLATE "C" FROM unnest(r.evidence_unit_ids ||
          ARRAY(SELECT jsonb_array_elements_text(u.add_ids::jsonb))) AS id ORDER BY 1)
      END,
      finalized = r.finalized OR u.finalized,
      lease_owner = CASE WHEN u.release_owner IS NOT NULL AND r.lease_owner = u.release_owner THEN NULL ELSE r.lease_owner END,
      lease_expires_at = CASE WHEN u.release_owner IS NOT NULL AND r.lease_owner = u.release_owner THEN NULL
        ELSE r.lease_expires_at END,
      updated_at = coalesce(u.updated, r.updated_at),
      runtime_version = r.runtime_version + CASE WHEN u.required THEN 1 ELSE 0 END
    FROM unnest(${c.ids}::text[], ${c.fenceOwners}::text[], ${c.releaseOwners}::text[], ${c.calls}::text[]::bigint[],
      ${c.bytes}::text[]::bigint[], ${c.addIds}::text[], ${c.finalized}::text[]::boolean[],
      ${c.updated}::text[]::timestamptz[], ${c.required}::text[]::boolean[], ${c.expectVersions}::text[]::bigint[])
      AS u(session_id, fence_owner, release_owner, calls, bytes, add_ids, finalized, updated, required, expect_version)
    WHERE r.session_id = u.session_id
      AND (u.fence_owner IS NULL OR r.lease_owner = u.fence_owner)
      AND (u.expect_version IS NULL OR (r.runtime_version = u.expect_version AND r.lease_owner IS NULL))
      AND (u.required OR r.lease_owner = u.release_owner)
    RETURNING u.required)
    SELECT pecr_require(count(*) FILTER (WHERE required) = ${c.requiredCount},
      ${RUNTIME_NOT_UPDATED}::text) FROM changed`;
}

async function insertEvidence(tx: SqlExecutor, rows: readonly EvidenceRow[]): Promise<void> {
  const c = evidenceColumns(rows);
  await tx`INSERT INTO pecr_evidence_units (evidence_unit_id, trace_id, session_id, source_system, object_id,
      version_id, content_type, content_hash, as_of_time, retrieved_at, policy_snapshot_id, policy_snapshot_hash,
      canonical_bytes, payload)
    SELECT u.id, u.trace, u.session, u.source, u.object, u.version, u.ctype, u.chash, u.as_of, u.retrieved,
      u.snapshot, u.snapshot_hash, decode(u.bytes, 'hex'), decode(u.payload, 'hex')
    FROM unnest(${c.ids}::text[], ${c.traces}::text[], ${c.sessions}::text[], ${c.sources}::text[], ${c.objects}::text[],
      ${c.versions}::text[], ${c.contentTypes}::text[], ${c.contentHashes}::text[], ${c.asOf}::text[]::timestamptz[],
      ${c.retrieved}::text[]::timestamptz[], ${c.snapshots}::text[], ${c.snapshotHashes}::text[], ${c.bytes}::text[],
      ${c.payloads}::text[])
      AS u(id, trace, session, source, object, version, ctype, chash, as_of, retrieved, snapshot, snapshot_hash,
        bytes, payload)
    ON CONFLICT (evidence_unit_id) DO NOTHING`;
}

async function insertClaimMaps(tx: SqlExecutor, rows: readonly ReturnType<typeof claimMapRow>[]): Promise<void> {
  const c = claimMapColumns(rows);
  await tx`INSERT INTO pecr_claim_maps (claim_map_id, trace_id, session_id, terminal_mode, coverage_threshold,
      coverage_observed, claim_map_hash, canonical_bytes)
    SELECT u.id, u.trace, u.session, u.mode, u.threshold, u.observed, u.hash, decode(u.bytes, 'hex')
    FROM unnest(${c.ids}::text[], ${c.traces}::text[], ${c.sessions}::text[], ${c.modes}::text[],
      ${c.thresholds}::text[]::double precision[], ${c.observed}::text[]::double precision[], ${c.hashes}::text[],
      ${c.bytes}::text[])
      AS u(id, trace, session, mode, threshold, observed, hash, bytes)`;
}

/** Appends sealed events with one statement. */
async function insertEvents(tx: SqlExecutor, chainId: string, sealed: readonly SealedEvent[]): Promise<void> {
  const c = eventColumns(sealed);
  await tx`INSERT INTO pecr_events (chain_id, seq, event_id, event_type, event_time, trace_id, session_id,
      principal_id, policy_snapshot_id, request_id, prev_hash, event_hash, canonical_bytes)
    SELECT ${chainId}::text, u.seq, u.event_id, u.event_type, u.event_time, u.trace_id, u.session_id, u.principal_id,
      u.policy_snapshot_id, u.request_id, u.prev_hash, u.event_hash, decode(u.bytes, 'hex')
    FROM unnest(${c.seqs}::text[]::bigint[], ${c.ids}::text[], ${c.types}::text[], ${c.times}::text[]::timestamptz[],
      ${c.traces}::text[], ${c.sessions}::text[], ${c.principals}::text[], ${c.snapshots}::text[], ${c.requests}::text[],
      ${c.prevHashes}::text[], ${c.hashes}::text[], ${c.bytes}::text[])
      AS u(seq, event_id, event_type, event_time, trace_id, session_id, principal_id, policy_snapshot_id,
        request_id, prev_hash, event_hash, bytes)`;
}
