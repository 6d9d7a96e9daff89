/**
 * Checks the rows a page of events vouches for: each referenced evidence unit, claim map, snapshot (with its
 * session) and source version must exist and match both its own stored bytes and the event (see verify-rows).
 * Rows are loaded in one query per table per page.
 */
import type { LedgerBreak } from "#gen/pecr/v1/ledger_pb.js";
import type { SqlExecutor } from "./database.js";
import { type EventReference, ledgerBreak } from "./verify-events.js";
import {
  checkClaimMapRow,
  checkEvidenceRow,
  checkSnapshotRow,
  checkVersionRow,
  type ClaimMapVerifyRow,
  type EvidenceVerifyRow,
  type SnapshotVerifyRow,
  type VersionVerifyRow,
} from "./verify-rows.js";

/** Keeps the break with the lowest seq (the first one found wins ties). */
export class FirstBreak {
  /** The break kept so far. */
  value: LedgerBreak | undefined;
  /** Keeps `found` if it comes before the kept break. */
  offer(found: LedgerBreak | undefined): void {
    if (found !== undefined && (this.value === undefined || found.seq < this.value.seq)) this.value = found;
  }
  /** Whether nothing after `seq` can change the answer any more. */
  settledAt(seq: bigint): boolean {
    return this.value !== undefined && this.value.seq <= seq;
  }
}

type Ref<K extends EventReference["kind"]> = Extract<EventReference, { kind: K }>;

/** Checks the rows the events refer to (`references` in seq order); returns the break of the lowest seq. */
export async function checkReferences(sql: SqlExecutor, references: readonly EventReference[]): Promise<LedgerBreak | undefined> {
  if (references.length === 0) return undefined;
  const of = <K extends EventReference["kind"]>(kind: K) => references.filter((r): r is Ref<K> => r.kind === kind);
  const evidenceRefs = of("evidence");
  const claimMapRefs = of("claimMap");
  const sessionRefs = of("session");
  const versionRefs = of("version");
  const first = new FirstBreak();

  if (evidenceRefs.length > 0) {
    const ids = [...new Set(evidenceRefs.map((r) => r.evidenceUnitId))];
    const rows = new Map(
      (
        await sql<EvidenceVerifyRow>`
          SELECT evidence_unit_id, source_system, object_id, version_id, content_type, content_hash,
            pecr_epoch_us(as_of_time) AS as_of_us, pecr_epoch_us(retrieved_at) AS retrieved_us, policy_snapshot_id,
            policy_snapshot_hash, canonical_bytes, payload
          FROM pecr_evidence_units WHERE evidence_unit_id = ANY(${ids}::text[])`
      ).map((row) => [row.evidence_unit_id, row]),
    );
    for (const ref of evidenceRefs) {
      const row = rows.get(ref.evidenceUnitId);
      first.offer(
        row === undefined
          ? ledgerBreak(ref.seq, "pecr_evidence_units", "evidence_unit_id", ref.evidenceUnitId, "missing")
          : checkEvidenceRow(row, ref.seq, ref),
      );
      if (first.value !== undefined) break;
    }
  }
  if (claimMapRefs.length > 0) {
    const rows = new Map(
      (
        await sql<ClaimMapVerifyRow>`SELECT claim_map_id, terminal_mode, claim_map_hash, canonical_bytes
          FROM pecr_claim_maps WHERE claim_map_id = ANY(${claimMapRefs.map((r) => r.claimMapId)}::text[])`
      ).map((row) => [row.claim_map_id, row]),
    );
    for (const ref of claimMapRefs) {
      const row = rows.get(ref.claimMapId);
      first.offer(
        row === undefined
          ? ledgerBreak(ref.seq, "pecr_claim_maps", "claim_map_id", ref.claimMapId, "missing")
          : checkClaimMapRow(row, ref.seq, ref),
      );
      if (first.value !== undefined) break;
    }
  }
  if (sessionRefs.length > 0) {
    const snapshots = new Map(
      (
        await sql<SnapshotVerifyRow>`SELECT policy_snapshot_id, policy_snapshot_hash, principal_id, tenant_id,
            pecr_epoch_us(as_of_time) AS as_of_us, policy_bundle_hash, pecr_epoch_us(evaluated_at) AS evaluated_us,
            canonical_bytes
          FROM pecr_policy_snapshots
          WHERE policy_snapshot_id = ANY(${sessionRefs.map((r) => r.policySnapshotId)}::text[])`
      ).map((row) => [row.policy_snapshot_id, row]),
    );
    const sessions = new Map(
      (
        await sql<{ session_id: string; policy_snapshot_id: string }>`SELECT session_id, policy_snapshot_id
          FROM pecr_sessions WHERE session_id = ANY(${sessionRefs.map((r) => r.sessionId)}::text[])`
      ).map((row) => [row.session_id, row]),
    );
    for (const ref of sessionRefs) {
      const snapshot = snapshots.get(ref.policySnapshotId);
      const session = sessions.get(ref.sessionId);
      first.offer(
        snapshot === undefined
          ? ledgerBreak(ref.seq, "pecr_policy_snapshots", "policy_snapshot_id", ref.policySnapshotId, "missing")
          : session === undefined
            ? ledgerBreak(ref.seq, "pecr_sessions", "session_id", ref.sessionId, "missing")
            : session.policy_snapshot_id !== ref.policySnapshotId
              ? ledgerBreak(ref.seq, "pecr_sessions", "policy_snapshot_id", ref.policySnapshotId, session.policy_snapshot_id)
              : checkSnapshotRow(snapshot, ref.seq, ref),
      );
      if (first.value !== undefined) break;
    }
  }
  if (versionRefs.length > 0) {
    const key = (s: string, o: string, v: string) => JSON.stringify([s, o, v]);
    const rows = new Map(
      (
        await sql<VersionVerifyRow & { source_system: string; object_id: string }>`
          SELECT v.source_system, v.object_id, v.version_id, pecr_epoch_us(v.first_observed_as_of) AS first_observed_us,
            v.byte_length, v.bytes
          FROM pecr_source_versions v
          JOIN unnest(${versionRefs.map((r) => r.sourceSystem)}::text[], ${versionRefs.map((r) => r.objectId)}::text[],
            ${versionRefs.map((r) => r.versionId)}::text[]) AS k(source_system, object_id, version_id)
            ON (v.source_system, v.object_id, v.version_id) = (k.source_system, k.object_id, k.version_id)`
      ).map((row) => [key(row.source_system, row.object_id, row.version_id), row]),
    );
    for (const ref of versionRefs) {
      const row = rows.get(key(ref.sourceSystem, ref.objectId, ref.versionId));
      first.offer(
        row === undefined
          ? ledgerBreak(ref.seq, "pecr_source_versions", "version_id", ref.versionId, "missing")
          : checkVersionRow(row, ref.seq, ref),
      );
      if (first.value !== undefined) break;
    }
  }
  return first.value;
}

