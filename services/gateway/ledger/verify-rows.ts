/**
 * Verification of the rows events vouch for: evidence units (id recomputed from the stored canonical bytes,
 * content hash from a stored payload), policy snapshots (hash recomputed), claim maps (hash of the stored bytes
 * against FINALIZE_RESULT), source versions (content address of the stored bytes) and signed checkpoints.
 * Each check compares what the stored bytes say with the row's columns and with the referring event.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { ClaimMapSchema } from "#gen/pecr/v1/claim_pb.js";
import { type EvidenceUnit, EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import { ContentIdentitySchema } from "#gen/pecr/v1/identity_pb.js";
import { type LedgerBreak, LedgerCheckpointSchema } from "#gen/pecr/v1/ledger_pb.js";
import { type PolicySnapshot, PolicySnapshotSchema } from "#gen/pecr/v1/policy_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { domainHash } from "#core/canonical/domain-hash.js";
import { contentHash, evidenceUnitId, policySnapshotHash, sourceVersionId } from "#core/canonical/identities.js";
import { checkpointSignatureValid } from "./checkpoints.js";
import { contentTypeText, signingKeyId } from "./ledger-records.js";
import { LEDGER_CHECKPOINT_DOMAIN, LEDGER_SCHEMA_VERSION } from "./ledger-types.js";
import { type EventReference, ledgerBreak } from "./verify-events.js";

type Check = [field: string, expected: string, actual: string];

function firstMismatch(seq: bigint, table: string, checks: readonly Check[]): LedgerBreak | undefined {
  for (const [field, expected, actual] of checks) {
    if (expected !== actual) return ledgerBreak(seq, table, field, expected, actual);
  }
  return undefined;
}

function micros(time: Timestamp | undefined): string {
  if (time === undefined) return "";
  return time.nanos % 1000 === 0 ? (time.seconds * 1_000_000n + BigInt(time.nanos / 1000)).toString() : "sub-microsecond";
}

function decode<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The evidence table. */
export const EVIDENCE_TABLE = "pecr_evidence_units";

/** An evidence row as read for verification. */
export interface EvidenceVerifyRow {
  readonly evidence_unit_id: string;
  readonly source_system: string;
  readonly object_id: string;
  readonly version_id: string;
  readonly content_type: string;
  readonly content_hash: string;
  readonly as_of_us: bigint;
  readonly retrieved_us: bigint;
  readonly policy_snapshot_id: string;
  readonly policy_snapshot_hash: string;
  readonly canonical_bytes: Uint8Array;
  readonly payload: Uint8Array | null;
}

/** Checks an evidence row, and against the EVIDENCE_EMITTED event referring to it when given. */
export function checkEvidenceRow(
  row: EvidenceVerifyRow,
  seq: bigint,
  reference?: Extract<EventReference, { kind: "evidence" }>,
): LedgerBreak | undefined {
  const unit: EvidenceUnit | undefined = decode(() => fromBinary(EvidenceUnitSchema, row.canonical_bytes));
  if (unit === undefined || unit.content.case !== undefined) {
    return ledgerBreak(seq, EVIDENCE_TABLE, "canonical_bytes", "a pecr.v1.EvidenceUnit without content", "undecodable");
  }
  const checks: Check[] = [
    ["evidence_unit_id", evidenceUnitId(unit), row.evidence_unit_id],
    ["evidence_unit_id", unit.evidenceUnitId, row.evidence_unit_id],
    ["source_system", unit.sourceSystem, row.source_system],
    ["object_id", unit.objectId, row.object_id],
    ["version_id", unit.versionId, row.version_id],
    ["content_type", contentTypeText(unit.contentType), row.content_type],
    ["content_hash", unit.contentHash, row.content_hash],
    ["as_of_time", micros(unit.asOfTime), row.as_of_us.toString()],
    ["retrieved_at", micros(unit.retrievedAt), row.retrieved_us.toString()],
    ["policy_snapshot_id", unit.policySnapshotId, row.policy_snapshot_id],
    ["policy_snapshot_hash", unit.policySnapshotHash, row.policy_snapshot_hash],
  ];
  if (reference !== undefined) {
    // The event is part of the hash chain: the row must say what the event says.
    checks.push(
      ["content_hash", reference.contentHash, row.content_hash],
      ["source_system", reference.sourceSystem, row.source_system],
      ["object_id", reference.objectId, row.object_id],
      ["version_id", reference.versionId, row.version_id],
    );
  }
  const mismatch = firstMismatch(seq, EVIDENCE_TABLE, checks);
  if (mismatch !== undefined || row.payload === null) return mismatch;
  const payload = decode(() => fromBinary(ContentIdentitySchema, row.payload as Uint8Array));
  const payloadHash = payload?.content.case === undefined ? "undecodable" : contentHash(payload.content);
  return firstMismatch(seq, EVIDENCE_TABLE, [["payload", row.content_hash, payloadHash]]);
}

/** The snapshots table. */
export const SNAPSHOTS_TABLE = "pecr_policy_snapshots";

/** A snapshot row as read for verification. */
export interface SnapshotVerifyRow {
  readonly policy_snapshot_id: string;
  readonly policy_snapshot_hash: string;
  readonly principal_id: string;
  readonly tenant_id: string;
  readonly as_of_us: bigint;
  readonly policy_bundle_hash: string;
  readonly evaluated_us: bigint;
  readonly canonical_bytes: Uint8Array;
}

/** Checks a snapshot row, and against the SESSION_CREATED event referring to it when given. */
export function checkSnapshotRow(
  row: SnapshotVerifyRow,
  seq: bigint,
  reference?: Extract<EventReference, { kind: "session" }>,
): LedgerBreak | undefined {
  const snapshot: PolicySnapshot | undefined = decode(() => fromBinary(PolicySnapshotSchema, row.canonical_bytes));
  if (snapshot === undefined) {
    return ledgerBreak(seq, SNAPSHOTS_TABLE, "canonical_bytes", "a pecr.v1.PolicySnapshot", "undecodable");
  }
  const checks: Check[] = [
    ["policy_snapshot_hash", policySnapshotHash({ ...snapshot, asOfTime: snapshot.asOfTime }), row.policy_snapshot_hash],
    ["policy_snapshot_hash", snapshot.policySnapshotHash, row.policy_snapshot_hash],
    ["policy_snapshot_id", snapshot.policySnapshotId, row.policy_snapshot_id],
    ["principal_id", snapshot.principalId, row.principal_id],
    ["tenant_id", snapshot.tenantId, row.tenant_id],
    ["as_of_time", micros(snapshot.asOfTime), row.as_of_us.toString()],
    ["policy_bundle_hash", snapshot.policyBundleHash, row.policy_bundle_hash],
    ["evaluated_at", micros(snapshot.evaluatedAt), row.evaluated_us.toString()],
  ];
  if (reference !== undefined) {
    checks.push(
      ["policy_snapshot_hash", reference.policySnapshotHash, row.policy_snapshot_hash],
      ["principal_id", reference.principalId, row.principal_id],
    );
  }
  return firstMismatch(seq, SNAPSHOTS_TABLE, checks);
}

/** The claim maps table. */
export const CLAIM_MAPS_TABLE = "pecr_claim_maps";

/** A claim map row as read for verification. */
export interface ClaimMapVerifyRow {
  readonly claim_map_id: string;
  readonly terminal_mode: string;
  readonly claim_map_hash: string;
  readonly canonical_bytes: Uint8Array;
}

/** Checks a claim map row, and against the FINALIZE_RESULT event citing it when given. */
export function checkClaimMapRow(
  row: ClaimMapVerifyRow,
  seq: bigint,
  reference?: Extract<EventReference, { kind: "claimMap" }>,
): LedgerBreak | undefined {
  const recomputed = domainHash(ClaimMapSchema.typeName, row.canonical_bytes);
  const checks: Check[] = [];
  if (reference !== undefined) checks.push(["claim_map_hash", reference.claimMapHash, recomputed]);
  checks.push(["claim_map_hash", recomputed, row.claim_map_hash]);
  const claimMap = decode(() => fromBinary(ClaimMapSchema, row.canonical_bytes));
  if (claimMap === undefined) {
    return ledgerBreak(seq, CLAIM_MAPS_TABLE, "canonical_bytes", "a pecr.v1.ClaimMap", "undecodable");
  }
  checks.push(
    ["claim_map_id", claimMap.claimMapId, row.claim_map_id],
    ["terminal_mode", TerminalMode[claimMap.terminalMode] ?? String(claimMap.terminalMode), row.terminal_mode],
  );
  return firstMismatch(seq, CLAIM_MAPS_TABLE, checks);
}

/** The source versions table. */
export const VERSIONS_TABLE = "pecr_source_versions";

/** A source version row as read for verification. */
export interface VersionVerifyRow {
  readonly version_id: string;
  readonly first_observed_us: bigint;
  readonly byte_length: bigint;
  readonly bytes: Uint8Array;
}

/** Checks a version row, and against the SOURCE_VERSION_OBSERVED event referring to it when given. */
export function checkVersionRow(
  row: VersionVerifyRow,
  seq: bigint,
  reference?: Extract<EventReference, { kind: "version" }>,
): LedgerBreak | undefined {
  const checks: Check[] = [
    ["version_id", sourceVersionId(row.bytes), row.version_id],
    ["byte_length", String(row.bytes.length), row.byte_length.toString()],
  ];
  if (reference !== undefined) {
    checks.push(
      ["first_observed_as_of", reference.firstObservedUs.toString(), row.first_observed_us.toString()],
      ["byte_length", reference.byteLength.toString(), row.byte_length.toString()],
    );
  }
  return firstMismatch(seq, VERSIONS_TABLE, checks);
}

/** The checkpoints table. */
export const CHECKPOINTS_TABLE = "pecr_checkpoints";

/** A checkpoint row as read for verification. */
export interface CheckpointVerifyRow {
  readonly chain_id: string;
  readonly seq: bigint;
  readonly head_hash: string;
  readonly key_id: string;
  readonly public_key: Uint8Array;
  readonly signature: Uint8Array;
  readonly checkpoint_us: bigint;
  readonly canonical_bytes: Uint8Array;
}

/**
 * Checks a checkpoint's key id, signature and decoded fields. With `trustedKeyIds`, a checkpoint signed by any
 * other key is a break: anyone can sign with a key of their own, so only a trusted key proves anything.
 */
export function checkCheckpointRow(
  row: CheckpointVerifyRow,
  trustedKeyIds: ReadonlySet<string> | undefined,
): LedgerBreak | undefined {
  const seq = row.seq;
  const keyId = signingKeyId(row.public_key);
  if (keyId !== row.key_id) return ledgerBreak(seq, CHECKPOINTS_TABLE, "key_id", keyId, row.key_id);
  if (trustedKeyIds !== undefined && !trustedKeyIds.has(keyId)) {
    return ledgerBreak(seq, CHECKPOINTS_TABLE, "key_id", [...trustedKeyIds].join(","), keyId);
  }
  if (!checkpointSignatureValid(row.canonical_bytes, row.signature, row.public_key)) {
    return ledgerBreak(seq, CHECKPOINTS_TABLE, "signature", "a valid Ed25519 signature", "invalid");
  }
  const checkpoint = decode(() => fromBinary(LedgerCheckpointSchema, row.canonical_bytes));
  if (checkpoint === undefined) {
    return ledgerBreak(seq, CHECKPOINTS_TABLE, "canonical_bytes", "a pecr.v1.LedgerCheckpoint", "undecodable");
  }
  return firstMismatch(seq, CHECKPOINTS_TABLE, [
    ["domain", LEDGER_CHECKPOINT_DOMAIN, checkpoint.domain],
    ["schema_version", String(LEDGER_SCHEMA_VERSION), String(checkpoint.schemaVersion)],
    ["chain_id", checkpoint.chainId, row.chain_id],
    ["seq", checkpoint.seq.toString(), row.seq.toString()],
    ["head_hash", checkpoint.headHash, row.head_hash],
    ["key_id", checkpoint.keyId, row.key_id],
    ["checkpoint_at", micros(checkpoint.createdAt), row.checkpoint_us.toString()],
  ]);
}
