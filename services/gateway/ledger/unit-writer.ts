/**
 * Writes units of work inside one transaction: locks the chain head, writes every unit's rows, seals all their
 * events in order after the head, appends them with one statement and moves the head. The caller commits.
 */
import { Buffer } from "node:buffer";
import type { SqlExecutor } from "./database.js";
import {
  budgetBytes,
  checkSourceVersion,
  claimMapRow,
  evidenceRow,
  sealEvents,
  snapshotRow,
  sourceVersionObservedEvent,
} from "./ledger-records.js";
import type {
  CommitResult,
  EvidencePayloadMode,
  RuntimeInsert,
  RuntimeUpdate,
  SealedEvent,
  UnitOfWork,
  UnsealedEvent,
} from "./ledger-types.js";
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

/** LeaseLostError is thrown when a fenced runtime update finds the lease held by someone else. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

/** The chain head as locked by a writer. */
export interface ChainHead {
  /** Seq of the last event (0 for an empty chain). */
  readonly seq: bigint;
  /** Hash of the last event (64 zeros for an empty chain). */
  readonly hash: string;
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
  const head = await lockChainHead(tx, options.chainId);
  const perUnit: UnsealedEvent[][] = [];
  for (const unit of units) perUnit.push(await writeUnitRows(tx, unit, options));

  const sealed = sealEvents(perUnit.flat(), options.chainId, head);
  if (sealed.length > 0) {
    await insertEvents(tx, options.chainId, sealed);
    const last = sealed[sealed.length - 1] as SealedEvent;
    await tx`UPDATE pecr_chain_head SET seq = ${last.seq}, head_hash = ${last.eventHash}, updated_at = now()
      WHERE chain_id = ${options.chainId}`;
  }
  const results: CommitResult[] = [];
  let offset = 0;
  for (const events of perUnit) {
    results.push({ events: sealed.slice(offset, offset + events.length) });
    offset += events.length;
  }
  return { results, sealed };
}

/** Writes a unit's rows; returns its events to append (its own, then first-observation events). */
async function writeUnitRows(tx: SqlExecutor, unit: UnitOfWork, options: UnitWriterOptions): Promise<UnsealedEvent[]> {
  const events: UnsealedEvent[] = [...(unit.events ?? [])];
  if (unit.policySnapshot !== undefined) {
    const row = snapshotRow(unit.policySnapshot);
    await tx`INSERT INTO pecr_policy_snapshots (policy_snapshot_id, policy_snapshot_hash, principal_id, tenant_id,
        as_of_time, policy_bundle_hash, evaluated_at, canonical_bytes)
      VALUES (${row.policySnapshotId}, ${row.policySnapshotHash}, ${row.principalId}, ${row.tenantId},
        ${timestampText(row.asOfTime)}::text::timestamptz, ${row.policyBundleHash},
        ${timestampText(row.evaluatedAt)}::text::timestamptz, ${row.canonicalBytes})`;
  }
  if (unit.session !== undefined) {
    const s = unit.session;
    await tx`INSERT INTO pecr_sessions (session_id, trace_id, principal_id, tenant_id, policy_snapshot_id, budget,
        session_created_at)
      VALUES (${s.sessionId}, ${s.traceId}, ${s.principalId}, ${s.tenantId}, ${s.policySnapshotId}, ${budgetBytes(s)},
        ${timestampText(s.createdAt)}::text::timestamptz)`;
  }
  if (unit.runtime?.kind === "insert") await insertRuntime(tx, unit.runtime);
  if (unit.runtime?.kind === "update") await updateRuntime(tx, unit.runtime);
  if (unit.evidence !== undefined && unit.evidence.length > 0) {
    await insertEvidence(tx, unit, options.evidencePayloads);
  }
  if (unit.claimMap !== undefined) {
    const row = claimMapRow(unit.claimMap);
    await tx`INSERT INTO pecr_claim_maps (claim_map_id, trace_id, session_id, terminal_mode, coverage_threshold,
        coverage_observed, claim_map_hash, canonical_bytes)
      VALUES (${row.claimMapId}, ${row.traceId}, ${row.sessionId}, ${row.terminalMode}, ${row.coverageThreshold},
        ${row.coverageObserved}, ${row.claimMapHash}, ${row.canonicalBytes})`;
  }
  for (const version of unit.sourceVersions ?? []) {
    checkSourceVersion(version);
    const inserted = await tx`INSERT INTO pecr_source_versions (source_system, object_id, version_id,
        first_observed_as_of, byte_length, bytes)
      VALUES (${version.sourceSystem}, ${version.objectId}, ${version.versionId},
        ${timestampText(version.observedAsOf)}::text::timestamptz, ${BigInt(version.bytes.length)}, ${version.bytes})
      ON CONFLICT (source_system, object_id, version_id) DO NOTHING
      RETURNING version_id`;
    // Only the first observation is an event; later ones leave the row (and its as_of) as it was.
    if (inserted.length > 0 && version.observedEvent !== undefined) {
      events.push(sourceVersionObservedEvent(version.observedEvent, version));
    }
  }
  if (unit.releaseLease !== undefined) {
    await tx`UPDATE pecr_session_runtime SET lease_owner = NULL, lease_expires_at = NULL
      WHERE session_id = ${unit.releaseLease.sessionId} AND lease_owner = ${unit.releaseLease.owner}`;
  }
  return events;
}

async function insertRuntime(tx: SqlExecutor, runtime: RuntimeInsert): Promise<void> {
  await tx`INSERT INTO pecr_session_runtime (session_id, tenant_id, session_token_hash, token_expires_at, updated_at)
    VALUES (${runtime.sessionId}, ${runtime.tenantId}, ${runtime.sessionTokenHash},
      ${timestampText(runtime.tokenExpiresAt)}::text::timestamptz, ${timestampText(runtime.updatedAt)}::text::timestamptz)`;
}

async function updateRuntime(tx: SqlExecutor, runtime: RuntimeUpdate): Promise<void> {
  const addIds = [...(runtime.addEvidenceUnitIds ?? [])];
  const updated = await tx`UPDATE pecr_session_runtime SET
      operator_calls_used = coalesce(${runtime.operatorCallsUsed ?? null}::bigint, operator_calls_used),
      bytes_used = coalesce(${runtime.bytesUsed ?? null}::bigint, bytes_used),
      evidence_unit_ids = CASE WHEN cardinality(${addIds}::text[]) = 0 THEN evidence_unit_ids
        ELSE ARRAY(SELECT DISTINCT id COLLATE "C" FROM unnest(evidence_unit_ids || ${addIds}::text[]) AS id ORDER BY 1)
      END,
      finalized = finalized OR ${runtime.finalized ?? false}::boolean,
      updated_at = ${timestampText(runtime.updatedAt)}::text::timestamptz
    WHERE session_id = ${runtime.sessionId}
      AND (${runtime.leaseOwner ?? null}::text IS NULL OR lease_owner = ${runtime.leaseOwner ?? null}::text)
    RETURNING session_id`;
  if (updated.length === 0) throw new LeaseLostError(`runtime of session not updated (missing or lease lost)`);
}

async function insertEvidence(tx: SqlExecutor, unit: UnitOfWork, mode: EvidencePayloadMode): Promise<void> {
  const rows = (unit.evidence ?? []).map((record) => evidenceRow(record, mode));
  const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
  await tx`INSERT INTO pecr_evidence_units (evidence_unit_id, trace_id, session_id, source_system, object_id,
      version_id, content_type, content_hash, as_of_time, retrieved_at, policy_snapshot_id, policy_snapshot_hash,
      canonical_bytes, payload)
    SELECT u.id, u.trace, u.session, u.source, u.object, u.version, u.ctype, u.chash, u.as_of, u.retrieved,
      u.snapshot, u.snapshot_hash, decode(u.bytes, 'hex'), decode(u.payload, 'hex')
    FROM unnest(${column((r) => r.evidenceUnitId)}::text[], ${column((r) => r.traceId)}::text[],
      ${column((r) => r.sessionId)}::text[], ${column((r) => r.sourceSystem)}::text[],
      ${column((r) => r.objectId)}::text[], ${column((r) => r.versionId)}::text[],
      ${column((r) => r.contentType)}::text[], ${column((r) => r.contentHash)}::text[],
      ${column((r) => timestampText(r.asOfTime))}::text[]::timestamptz[],
      ${column((r) => timestampText(r.retrievedAt))}::text[]::timestamptz[],
      ${column((r) => r.policySnapshotId)}::text[], ${column((r) => r.policySnapshotHash)}::text[],
      ${column((r) => hex(r.canonicalBytes))}::text[], ${column((r) => (r.payload === null ? null : hex(r.payload)))}::text[])
      AS u(id, trace, session, source, object, version, ctype, chash, as_of, retrieved, snapshot, snapshot_hash,
        bytes, payload)
    ON CONFLICT (evidence_unit_id) DO NOTHING`;
}

/** Appends sealed events with one statement (arrays of columns, bytes as hex). */
async function insertEvents(tx: SqlExecutor, chainId: string, sealed: readonly SealedEvent[]): Promise<void> {
  const column = <T>(pick: (row: SealedEvent) => T) => sealed.map(pick);
  await tx`INSERT INTO pecr_events (chain_id, seq, event_id, event_type, event_time, trace_id, session_id,
      principal_id, policy_snapshot_id, request_id, prev_hash, event_hash, canonical_bytes)
    SELECT ${chainId}::text, u.seq, u.event_id, u.event_type, u.event_time, u.trace_id, u.session_id, u.principal_id,
      u.policy_snapshot_id, u.request_id, u.prev_hash, u.event_hash, decode(u.bytes, 'hex')
    FROM unnest(${column((e) => e.seq.toString())}::text[]::bigint[], ${column((e) => e.event.eventId)}::text[],
      ${column((e) => e.eventType)}::text[],
      ${column((e) => timestampText(e.event.eventTime as NonNullable<typeof e.event.eventTime>))}::text[]::timestamptz[],
      ${column((e) => e.event.traceId)}::text[], ${column((e) => e.event.sessionId)}::text[],
      ${column((e) => e.event.principalId)}::text[], ${column((e) => e.event.policySnapshotId)}::text[],
      ${column((e) => e.event.requestId)}::text[], ${column((e) => e.prevHash)}::text[],
      ${column((e) => e.eventHash)}::text[], ${column((e) => hex(e.canonicalBytes))}::text[])
      AS u(seq, event_id, event_type, event_time, trace_id, session_id, principal_id, policy_snapshot_id,
        request_id, prev_hash, event_hash, bytes)`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
