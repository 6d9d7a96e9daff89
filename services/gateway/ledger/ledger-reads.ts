/**
 * The ledger's read paths: a session with its snapshot and runtime, evidence by ids, event pages by session,
 * trace or position, and the source version store (versions of an object, the version current at an as_of,
 * a version's bytes). Stored canonical bytes are decoded; nothing is re-derived from columns.
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import { ContentIdentitySchema } from "#gen/pecr/v1/identity_pb.js";
import { LedgerEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { PolicySnapshotSchema } from "#gen/pecr/v1/policy_pb.js";
import type { SqlExecutor } from "./database.js";
import type { LoadedSession, StoredEvent, StoredEvidence, StoredVersion } from "./ledger-types.js";
import { timestampFromMicros, timestampText } from "./sql-time.js";

/** A page of events. */
export interface EventPage {
  /** Return events with seq greater than this (default 0). */
  readonly afterSeq?: bigint | undefined;
  /** Most events returned (default 100, at most 1000). */
  readonly limit?: number | undefined;
}

const MAX_PAGE = 1000;

function pageLimit(page: EventPage): number {
  return Math.min(Math.max(1, Math.trunc(page.limit ?? 100)), MAX_PAGE);
}

/** The columns a session is loaded from (sessions joined with its snapshot and runtime). */
export interface SessionRow {
  session_id: string;
  trace_id: string;
  principal_id: string;
  tenant_id: string;
  policy_snapshot_id: string;
  budget: Uint8Array;
  created_us: bigint;
  snapshot_bytes: Uint8Array;
  runtime_tenant: string | null;
  session_token_hash: string | null;
  expires_us: bigint | null;
  operator_calls_used: bigint | null;
  bytes_used: bigint | null;
  evidence_unit_ids: string[] | null;
  finalized: boolean | null;
  runtime_version: bigint | null;
}

/** Builds a loaded session from its row. */
export function loadedSessionFromRow(row: SessionRow): LoadedSession {
  return {
    session: {
      sessionId: row.session_id,
      traceId: row.trace_id,
      principalId: row.principal_id,
      tenantId: row.tenant_id,
      policySnapshotId: row.policy_snapshot_id,
      budget: fromBinary(BudgetSchema, row.budget),
      createdAt: timestampFromMicros(row.created_us),
    },
    snapshot: fromBinary(PolicySnapshotSchema, row.snapshot_bytes),
    // A session without a runtime row reads as fresh (reference §4.3's COALESCE defaults) but expired.
    runtime: {
      tenantId: row.runtime_tenant ?? row.tenant_id,
      sessionTokenHash: row.session_token_hash ?? "",
      tokenExpiresAt: timestampFromMicros(row.expires_us ?? 0n),
      operatorCallsUsed: row.operator_calls_used ?? 0n,
      bytesUsed: row.bytes_used ?? 0n,
      evidenceUnitIds: row.evidence_unit_ids ?? [],
      finalized: row.finalized ?? false,
      version: row.runtime_version ?? 0n,
    },
  };
}

/** Loads a session, its policy snapshot and its runtime (one query); undefined when unknown. */
export async function loadSession(sql: SqlExecutor, sessionId: string): Promise<LoadedSession | undefined> {
  const [row] = await sql<SessionRow>`
    SELECT s.session_id, s.trace_id, s.principal_id, s.tenant_id, s.policy_snapshot_id, s.budget,
      pecr_epoch_us(s.session_created_at) AS created_us, p.canonical_bytes AS snapshot_bytes,
      r.tenant_id AS runtime_tenant, r.session_token_hash, pecr_epoch_us(r.token_expires_at) AS expires_us,
      r.operator_calls_used, r.bytes_used, r.evidence_unit_ids, r.finalized, r.runtime_version
    FROM pecr_sessions s
    JOIN pecr_policy_snapshots p ON p.policy_snapshot_id = s.policy_snapshot_id
    LEFT JOIN pecr_session_runtime r ON r.session_id = s.session_id
    WHERE s.session_id = ${sessionId}`;
  return row === undefined ? undefined : loadedSessionFromRow(row);
}

/** Evidence units by id (unknown ids are left out), with their content when payloads are stored. */
export async function evidenceByIds(sql: SqlExecutor, ids: readonly string[]): Promise<StoredEvidence[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ trace_id: string; session_id: string; canonical_bytes: Uint8Array; payload: Uint8Array | null }>`
    SELECT trace_id, session_id, canonical_bytes, payload FROM pecr_evidence_units
    WHERE evidence_unit_id = ANY(${[...ids]}::text[]) ORDER BY evidence_unit_id`;
  return rows.map((row) => {
    const unit = fromBinary(EvidenceUnitSchema, row.canonical_bytes);
    if (row.payload !== null) unit.content = fromBinary(ContentIdentitySchema, row.payload).content;
    return { unit, traceId: row.trace_id, sessionId: row.session_id };
  });
}

type EventRow = { seq: bigint; event_hash: string; event_type: string; canonical_bytes: Uint8Array };

function toStoredEvents(rows: readonly EventRow[]): StoredEvent[] {
  return rows.map((row) => ({
    seq: row.seq,
    eventHash: row.event_hash,
    eventType: row.event_type,
    event: fromBinary(LedgerEventSchema, row.canonical_bytes),
  }));
}

/** A session's events in chain order. */
export async function eventsBySession(
  sql: SqlExecutor,
  sessionId: string,
  page: EventPage = {},
): Promise<StoredEvent[]> {
  return toStoredEvents(
    await sql<EventRow>`SELECT seq, event_hash, event_type, canonical_bytes FROM pecr_events
      WHERE session_id = ${sessionId} AND seq > ${page.afterSeq ?? 0n} ORDER BY seq LIMIT ${pageLimit(page)}`,
  );
}

/** A trace's events in chain order. */
export async function eventsByTrace(sql: SqlExecutor, traceId: string, page: EventPage = {}): Promise<StoredEvent[]> {
  return toStoredEvents(
    await sql<EventRow>`SELECT seq, event_hash, event_type, canonical_bytes FROM pecr_events
      WHERE trace_id = ${traceId} AND seq > ${page.afterSeq ?? 0n} ORDER BY seq LIMIT ${pageLimit(page)}`,
  );
}

/** Events of a chain after a position, in chain order. */
export async function eventsAfter(sql: SqlExecutor, chainId: string, page: EventPage = {}): Promise<StoredEvent[]> {
  return toStoredEvents(
    await sql<EventRow>`SELECT seq, event_hash, event_type, canonical_bytes FROM pecr_events
      WHERE chain_id = ${chainId} AND seq > ${page.afterSeq ?? 0n} ORDER BY seq LIMIT ${pageLimit(page)}`,
  );
}

type VersionRow = { source_system: string; object_id: string; version_id: string; as_of_us: bigint; byte_length: bigint };

function toStoredVersion(row: VersionRow): StoredVersion {
  return {
    sourceSystem: row.source_system,
    objectId: row.object_id,
    versionId: row.version_id,
    firstObservedAsOf: timestampFromMicros(row.as_of_us),
    byteLength: row.byte_length,
  };
}

/** Every stored version of an object, oldest first observation first. */
export async function listVersions(sql: SqlExecutor, sourceSystem: string, objectId: string): Promise<StoredVersion[]> {
  const rows = await sql<VersionRow>`
    SELECT source_system, object_id, version_id, pecr_epoch_us(first_observed_as_of) AS as_of_us, byte_length
    FROM pecr_source_versions WHERE source_system = ${sourceSystem} AND object_id = ${objectId}
    ORDER BY first_observed_as_of, version_id`;
  return rows.map(toStoredVersion);
}

/** The version current at `asOf`: the one with the greatest first observation at or before it. */
export async function versionAt(
  sql: SqlExecutor,
  sourceSystem: string,
  objectId: string,
  asOf: Timestamp,
): Promise<StoredVersion | undefined> {
  const [row] = await sql<VersionRow>`
    SELECT source_system, object_id, version_id, pecr_epoch_us(first_observed_as_of) AS as_of_us, byte_length
    FROM pecr_source_versions
    WHERE source_system = ${sourceSystem} AND object_id = ${objectId}
      AND first_observed_as_of <= ${timestampText(asOf)}::text::timestamptz
    ORDER BY first_observed_as_of DESC, version_id DESC LIMIT 1`;
  return row === undefined ? undefined : toStoredVersion(row);
}

/** A version's bytes, or undefined when not stored. */
export async function versionBytes(
  sql: SqlExecutor,
  sourceSystem: string,
  objectId: string,
  versionId: string,
): Promise<Uint8Array | undefined> {
  const [row] = await sql<{ bytes: Uint8Array }>`SELECT bytes FROM pecr_source_versions
    WHERE source_system = ${sourceSystem} AND object_id = ${objectId} AND version_id = ${versionId}`;
  return row === undefined ? undefined : new Uint8Array(row.bytes);
}
