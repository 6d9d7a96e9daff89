/**
 * Record builders: pure functions from caller-supplied values to the rows and events the ledger stores. They
 * read no clock and draw no randomness (a test scans this file for that): every id and time comes in as an
 * argument, so the same input always yields the same bytes and hashes.
 */
import { create } from "@bufbuild/protobuf";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { ClaimMapSchema, type ClaimMap } from "#gen/pecr/v1/claim_pb.js";
import { ContentType, EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import { ContentIdentitySchema } from "#gen/pecr/v1/identity_pb.js";
import {
  type LedgerCheckpoint,
  LedgerCheckpointSchema,
  LedgerEventSchema,
  SourceVersionObservedEventSchema,
} from "#gen/pecr/v1/ledger_pb.js";
import { PolicySnapshotSchema, type PolicySnapshot } from "#gen/pecr/v1/policy_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { domainHash, hashMessage, hashMessageWithBytes } from "#core/canonical/domain-hash.js";
import { contentHash, evidenceUnitId, policySnapshotHash, sourceVersionId } from "#core/canonical/identities.js";
import {
  type ClaimMapRecord,
  type EventEnvelope,
  type EventPayload,
  type EvidencePayloadMode,
  type EvidenceRecord,
  LEDGER_CHECKPOINT_DOMAIN,
  LEDGER_EVENT_DOMAIN,
  LEDGER_SCHEMA_VERSION,
  type SealedEvent,
  type SessionRecord,
  type SourceVersionRecord,
  type UnsealedEvent,
} from "./ledger-types.js";
import { timestampMicros } from "./sql-time.js";

/** LedgerRecordError is thrown for a record whose stated hash or id does not match its content. */
export class LedgerRecordError extends Error {
  override readonly name = "LedgerRecordError";
}

/** The `event_type` column of a payload case: `policyDecision` → `POLICY_DECISION`. */
export function eventTypeOf(payloadCase: EventPayload["case"]): string {
  return payloadCase.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
}

/** Seals one event at `seq` after `prevHash`: fills in the chain fields and hashes the canonical bytes. */
export function sealEvent(unsealed: UnsealedEvent, chainId: string, seq: bigint, prevHash: string): SealedEvent {
  // Validates the time now: one the database would round could never verify.
  timestampMicros(unsealed.eventTime);
  const event = create(LedgerEventSchema, {
    domain: LEDGER_EVENT_DOMAIN,
    schemaVersion: LEDGER_SCHEMA_VERSION,
    chainId,
    seq,
    prevHash,
    eventId: unsealed.eventId,
    eventTime: unsealed.eventTime,
    traceId: unsealed.traceId,
    sessionId: unsealed.sessionId,
    principalId: unsealed.principalId,
    policySnapshotId: unsealed.policySnapshotId,
    requestId: unsealed.requestId,
    payload: unsealed.payload,
  });
  const { bytes, hash } = hashMessageWithBytes(LedgerEventSchema, event);
  return { seq, prevHash, eventHash: hash, eventType: eventTypeOf(unsealed.payload.case), event, canonicalBytes: bytes };
}

/** Seals events in order after the head `(seq, hash)`. */
export function sealEvents(
  events: readonly UnsealedEvent[],
  chainId: string,
  head: { readonly seq: bigint; readonly hash: string },
): SealedEvent[] {
  const sealed: SealedEvent[] = [];
  let seq = head.seq;
  let prevHash = head.hash;
  for (const unsealed of events) {
    seq += 1n;
    const event = sealEvent(unsealed, chainId, seq, prevHash);
    sealed.push(event);
    prevHash = event.eventHash;
  }
  return sealed;
}

/** The SOURCE_VERSION_OBSERVED event of a version's first observation. */
export function sourceVersionObservedEvent(envelope: EventEnvelope, version: SourceVersionRecord): UnsealedEvent {
  return {
    ...envelope,
    payload: {
      case: "sourceVersionObserved",
      value: create(SourceVersionObservedEventSchema, {
        sourceSystem: version.sourceSystem,
        objectId: version.objectId,
        versionId: version.versionId,
        firstObservedAt: version.observedAsOf,
        byteLength: BigInt(version.bytes.length),
      }),
    },
  };
}

/** A `pecr_policy_snapshots` row. */
export interface SnapshotRow {
  /** Id. */
  readonly policySnapshotId: string;
  /** Hash (checked against the identity). */
  readonly policySnapshotHash: string;
  /** Principal. */
  readonly principalId: string;
  /** Tenant. */
  readonly tenantId: string;
  /** As_of time. */
  readonly asOfTime: Timestamp;
  /** Bundle hash. */
  readonly policyBundleHash: string;
  /** Evaluation time. */
  readonly evaluatedAt: Timestamp;
  /** Canonical `PolicySnapshot` bytes. */
  readonly canonicalBytes: Uint8Array;
}

/** Builds a snapshot row, refusing a snapshot whose hash does not match its identity. */
export function snapshotRow(snapshot: PolicySnapshot): SnapshotRow {
  if (snapshot.asOfTime === undefined || snapshot.evaluatedAt === undefined) {
    throw new LedgerRecordError("policy snapshot needs as_of_time and evaluated_at");
  }
  const expected = policySnapshotHash({ ...snapshot, asOfTime: snapshot.asOfTime });
  if (expected !== snapshot.policySnapshotHash) throw new LedgerRecordError("policy_snapshot_hash does not match");
  return {
    policySnapshotId: snapshot.policySnapshotId,
    policySnapshotHash: snapshot.policySnapshotHash,
    principalId: snapshot.principalId,
    tenantId: snapshot.tenantId,
    asOfTime: snapshot.asOfTime,
    policyBundleHash: snapshot.policyBundleHash,
    evaluatedAt: snapshot.evaluatedAt,
    canonicalBytes: canonicalBytes(PolicySnapshotSchema, snapshot),
  };
}

/** The canonical bytes a session's budget is stored as. */
export function budgetBytes(session: SessionRecord): Uint8Array {
  return canonicalBytes(BudgetSchema, create(BudgetSchema, session.budget));
}

/** A `pecr_evidence_units` row. */
export interface EvidenceRow {
  /** Id (checked against the identity). */
  readonly evidenceUnitId: string;
  /** Trace. */
  readonly traceId: string;
  /** Session. */
  readonly sessionId: string;
  /** Source system. */
  readonly sourceSystem: string;
  /** Object. */
  readonly objectId: string;
  /** Version. */
  readonly versionId: string;
  /** Media type. */
  readonly contentType: string;
  /** Content hash. */
  readonly contentHash: string;
  /** As_of time. */
  readonly asOfTime: Timestamp;
  /** Retrieval time. */
  readonly retrievedAt: Timestamp;
  /** Snapshot id. */
  readonly policySnapshotId: string;
  /** Snapshot hash. */
  readonly policySnapshotHash: string;
  /** Canonical `EvidenceUnit` bytes without the content. */
  readonly canonicalBytes: Uint8Array;
  /** Canonical `ContentIdentity` bytes of the content (payload-enabled mode only). */
  readonly payload: Uint8Array | null;
}

/** The media type stored for a content type. */
export function contentTypeText(contentType: ContentType): string {
  switch (contentType) {
    case ContentType.TEXT_PLAIN:
      return "text/plain";
    case ContentType.APPLICATION_JSON:
      return "application/json";
    default:
      return "";
  }
}

/** Builds an evidence row, refusing a unit whose id or content hash does not match. */
export function evidenceRow(record: EvidenceRecord, mode: EvidencePayloadMode): EvidenceRow {
  const { unit } = record;
  if (evidenceUnitId(unit) !== unit.evidenceUnitId) throw new LedgerRecordError("evidence_unit_id does not match");
  if (unit.content.case !== undefined && contentHash(unit.content) !== unit.contentHash) {
    throw new LedgerRecordError("content_hash does not match");
  }
  if (unit.asOfTime === undefined || unit.retrievedAt === undefined) {
    throw new LedgerRecordError("evidence unit needs as_of_time and retrieved_at");
  }
  const withoutContent = create(EvidenceUnitSchema, { ...unit, content: { case: undefined } });
  const payload =
    mode === "payload-enabled" && unit.content.case !== undefined
      ? canonicalBytes(ContentIdentitySchema, create(ContentIdentitySchema, { content: unit.content }))
      : null;
  return {
    evidenceUnitId: unit.evidenceUnitId,
    traceId: record.traceId,
    sessionId: record.sessionId,
    sourceSystem: unit.sourceSystem,
    objectId: unit.objectId,
    versionId: unit.versionId,
    contentType: contentTypeText(unit.contentType),
    contentHash: unit.contentHash,
    asOfTime: unit.asOfTime,
    retrievedAt: unit.retrievedAt,
    policySnapshotId: unit.policySnapshotId,
    policySnapshotHash: unit.policySnapshotHash,
    canonicalBytes: canonicalBytes(EvidenceUnitSchema, withoutContent),
    payload,
  };
}

/** `claim_map_hash` of a gated claim map, as cited by FINALIZE_RESULT. */
export function claimMapHash(claimMap: ClaimMap): string {
  return hashMessage(ClaimMapSchema, claimMap);
}

/** A `pecr_claim_maps` row. */
export interface ClaimMapRow {
  /** Id. */
  readonly claimMapId: string;
  /** Trace. */
  readonly traceId: string;
  /** Session. */
  readonly sessionId: string;
  /** Decided terminal mode, by name. */
  readonly terminalMode: string;
  /** Threshold. */
  readonly coverageThreshold: number;
  /** Observed coverage. */
  readonly coverageObserved: number;
  /** Hash of the canonical bytes. */
  readonly claimMapHash: string;
  /** Canonical `ClaimMap` bytes. */
  readonly canonicalBytes: Uint8Array;
}

/** Builds a claim map row. */
export function claimMapRow(record: ClaimMapRecord): ClaimMapRow {
  const { bytes, hash } = hashMessageWithBytes(ClaimMapSchema, record.claimMap);
  return {
    claimMapId: record.claimMap.claimMapId,
    traceId: record.traceId,
    sessionId: record.sessionId,
    terminalMode: TerminalMode[record.claimMap.terminalMode] ?? String(record.claimMap.terminalMode),
    coverageThreshold: record.claimMap.coverageThreshold,
    coverageObserved: record.claimMap.coverageObserved,
    claimMapHash: hash,
    canonicalBytes: bytes,
  };
}

/** Refuses a source version whose id is not the content address of its bytes. */
export function checkSourceVersion(version: SourceVersionRecord): void {
  if (sourceVersionId(version.bytes) !== version.versionId) throw new LedgerRecordError("version_id does not match");
  timestampMicros(version.observedAsOf);
}

/** The checkpoint record for a head, signed by the key `keyId`. */
export function checkpointRecord(
  chainId: string,
  head: { readonly seq: bigint; readonly hash: string },
  createdAt: Timestamp,
  keyId: string,
): LedgerCheckpoint {
  return create(LedgerCheckpointSchema, {
    domain: LEDGER_CHECKPOINT_DOMAIN,
    schemaVersion: LEDGER_SCHEMA_VERSION,
    chainId,
    seq: head.seq,
    headHash: head.hash,
    createdAt,
    keyId,
  });
}

const SEPARATOR = new Uint8Array([0]);

/**
 * The message a checkpoint's Ed25519 signature covers: UTF-8 of `pecr.v1.LedgerCheckpoint`, a 0x00 byte, then
 * the canonical checkpoint bytes (the same domain separation as every PECR hash).
 */
export function checkpointSigningMessage(checkpointBytes: Uint8Array): Uint8Array {
  const domain = new TextEncoder().encode(LedgerCheckpointSchema.typeName);
  const message = new Uint8Array(domain.length + 1 + checkpointBytes.length);
  message.set(domain, 0);
  message.set(SEPARATOR, domain.length);
  message.set(checkpointBytes, domain.length + 1);
  return message;
}

/** Domain of a signing key's id: the id is `domainHash(KEY_ID_DOMAIN, raw 32-byte Ed25519 public key)`. */
export const KEY_ID_DOMAIN = "pecr.ledger_signing_key";

/** The id of a signing key from its raw public key bytes. */
export function signingKeyId(rawPublicKey: Uint8Array): string {
  return domainHash(KEY_ID_DOMAIN, rawPublicKey);
}
