/**
 * Rows as parallel column arrays, the form in which both ledger writers bind them (one `unnest` per table:
 * any number of rows in one statement). Every value travels as text (bytes as hex, times as RFC 3339 with
 * microseconds, integers as decimal) and is cast in SQL, because the two drivers infer array parameter types
 * differently.
 */
import { Buffer } from "node:buffer";
import { budgetBytes, type ClaimMapRow, type EvidenceRow, type SnapshotRow } from "./ledger-records.js";
import type { RuntimeInsert, SealedEvent, SessionRecord, SourceVersionRecord } from "./ledger-types.js";
import { timestampText } from "./sql-time.js";

/** Lowercase hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Columns of `pecr_policy_snapshots` rows. */
export function snapshotColumns(rows: readonly SnapshotRow[]) {
  return {
    ids: rows.map((r) => r.policySnapshotId),
    hashes: rows.map((r) => r.policySnapshotHash),
    principals: rows.map((r) => r.principalId),
    tenants: rows.map((r) => r.tenantId),
    asOf: rows.map((r) => timestampText(r.asOfTime)),
    bundles: rows.map((r) => r.policyBundleHash),
    evaluated: rows.map((r) => timestampText(r.evaluatedAt)),
    bytes: rows.map((r) => hex(r.canonicalBytes)),
  };
}

/** Columns of `pecr_sessions` rows. */
export function sessionColumns(sessions: readonly SessionRecord[]) {
  return {
    ids: sessions.map((s) => s.sessionId),
    traces: sessions.map((s) => s.traceId),
    principals: sessions.map((s) => s.principalId),
    tenants: sessions.map((s) => s.tenantId),
    snapshots: sessions.map((s) => s.policySnapshotId),
    budgets: sessions.map((s) => hex(budgetBytes(s))),
    created: sessions.map((s) => timestampText(s.createdAt)),
  };
}

/** Columns of new `pecr_session_runtime` rows. */
export function runtimeInsertColumns(runtimes: readonly RuntimeInsert[]) {
  return {
    ids: runtimes.map((r) => r.sessionId),
    tenants: runtimes.map((r) => r.tenantId),
    tokenHashes: runtimes.map((r) => r.sessionTokenHash),
    expires: runtimes.map((r) => timestampText(r.tokenExpiresAt)),
    updated: runtimes.map((r) => timestampText(r.updatedAt)),
  };
}

/** One unit's change of its session's runtime row: counters and evidence, finalization, lease release. */
export interface RuntimeChange {
  /** The session. */
  readonly sessionId: string;
  /** Owner the update is fenced by (must hold the lease), or null for an unfenced change. */
  readonly fenceOwner: string | null;
  /** Owner whose lease this unit releases, or null. */
  readonly releaseOwner: string | null;
  /** Version the row must still be at, with no lease held (an optimistic change), or null. */
  readonly expectVersion: bigint | null;
  /** New operator-call counter, or null to keep it. */
  readonly operatorCallsUsed: bigint | null;
  /** New byte counter, or null to keep it. */
  readonly bytesUsed: bigint | null;
  /** Evidence ids to add to the session's set. */
  readonly addEvidenceUnitIds: readonly string[];
  /** Marks the session finalized. */
  readonly finalized: boolean;
  /** Whether the row must be updated (a plain release of a lease no longer held is not an error). */
  readonly required: boolean;
  /** Time of the write (RFC 3339), or null for a plain release. */
  readonly updatedAt: string | null;
}

/** Columns of runtime changes. */
export function runtimeChangeColumns(changes: readonly RuntimeChange[]) {
  return {
    ids: changes.map((c) => c.sessionId),
    fenceOwners: changes.map((c) => c.fenceOwner),
    releaseOwners: changes.map((c) => c.releaseOwner),
    expectVersions: changes.map((c) => (c.expectVersion === null ? null : c.expectVersion.toString())),
    calls: changes.map((c) => (c.operatorCallsUsed === null ? null : c.operatorCallsUsed.toString())),
    bytes: changes.map((c) => (c.bytesUsed === null ? null : c.bytesUsed.toString())),
    addIds: changes.map((c) => JSON.stringify(c.addEvidenceUnitIds)),
    finalized: changes.map((c) => String(c.finalized)),
    updated: changes.map((c) => c.updatedAt),
    required: changes.map((c) => String(c.required)),
    requiredCount: changes.filter((c) => c.required).length,
  };
}

/** Columns of `pecr_evidence_units` rows. */
export function evidenceColumns(rows: readonly EvidenceRow[]) {
  return {
    ids: rows.map((r) => r.evidenceUnitId),
    traces: rows.map((r) => r.traceId),
    sessions: rows.map((r) => r.sessionId),
    sources: rows.map((r) => r.sourceSystem),
    objects: rows.map((r) => r.objectId),
    versions: rows.map((r) => r.versionId),
    contentTypes: rows.map((r) => r.contentType),
    contentHashes: rows.map((r) => r.contentHash),
    asOf: rows.map((r) => timestampText(r.asOfTime)),
    retrieved: rows.map((r) => timestampText(r.retrievedAt)),
    snapshots: rows.map((r) => r.policySnapshotId),
    snapshotHashes: rows.map((r) => r.policySnapshotHash),
    bytes: rows.map((r) => hex(r.canonicalBytes)),
    payloads: rows.map((r) => (r.payload === null ? null : hex(r.payload))),
  };
}

/** Columns of `pecr_claim_maps` rows. */
export function claimMapColumns(rows: readonly ClaimMapRow[]) {
  return {
    ids: rows.map((r) => r.claimMapId),
    traces: rows.map((r) => r.traceId),
    sessions: rows.map((r) => r.sessionId),
    modes: rows.map((r) => r.terminalMode),
    thresholds: rows.map((r) => String(r.coverageThreshold)),
    observed: rows.map((r) => String(r.coverageObserved)),
    hashes: rows.map((r) => r.claimMapHash),
    bytes: rows.map((r) => hex(r.canonicalBytes)),
  };
}

/** Columns of `pecr_source_versions` rows. */
export function sourceVersionColumns(versions: readonly SourceVersionRecord[]) {
  return {
    sources: versions.map((v) => v.sourceSystem),
    objects: versions.map((v) => v.objectId),
    versions: versions.map((v) => v.versionId),
    observed: versions.map((v) => timestampText(v.observedAsOf)),
    lengths: versions.map((v) => String(v.bytes.length)),
    bytes: versions.map((v) => hex(v.bytes)),
  };
}

/** Columns of `pecr_events` rows. */
export function eventColumns(sealed: readonly SealedEvent[]) {
  return {
    seqs: sealed.map((e) => e.seq.toString()),
    ids: sealed.map((e) => e.event.eventId),
    types: sealed.map((e) => e.eventType),
    times: sealed.map((e) => timestampText(e.event.eventTime as NonNullable<typeof e.event.eventTime>)),
    traces: sealed.map((e) => e.event.traceId),
    sessions: sealed.map((e) => e.event.sessionId),
    principals: sealed.map((e) => e.event.principalId),
    snapshots: sealed.map((e) => e.event.policySnapshotId),
    requests: sealed.map((e) => e.event.requestId),
    prevHashes: sealed.map((e) => e.prevHash),
    hashes: sealed.map((e) => e.eventHash),
    bytes: sealed.map((e) => hex(e.canonicalBytes)),
  };
}
