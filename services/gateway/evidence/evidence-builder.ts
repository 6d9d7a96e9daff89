/**
 * Builds immutable evidence units: content hash and id computed from the final (post-redaction) content.
 */
import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  ContentType,
  type EvidenceUnit,
  EvidenceUnitSchema,
  type SpanOrRowSpecSchema,
  type TransformStep,
} from "#gen/pecr/v1/evidence_pb.js";
import { contentHash, type EvidenceContent, evidenceUnitId } from "#core/canonical/identities.js";

/** The policy snapshot evidence is emitted under. */
export interface SnapshotRef {
  /** Snapshot id. */
  readonly id: string;
  /** Snapshot hash (part of every evidence id). */
  readonly hash: string;
}

/** Everything an evidence unit is made of, before hashing. */
export interface EvidenceInit {
  /** `fs_corpus` or `pg_safeview`. */
  readonly sourceSystem: string;
  /** Object id. */
  readonly objectId: string;
  /** Version id; undefined means "the content hash" (aggregates). */
  readonly versionId: string | undefined;
  /** Span or row spec. */
  readonly spec: MessageInitShape<typeof SpanOrRowSpecSchema>["spec"];
  /** The content. */
  readonly content: EvidenceContent;
  /** The session's as_of time. */
  readonly asOfTime: Timestamp;
  /** When the source was read. */
  readonly retrievedAt: Timestamp;
  /** The session's snapshot. */
  readonly snapshot: SnapshotRef;
  /** Transform steps applied, in order. */
  readonly transformChain?: readonly TransformStep[];
}

/** Builds an evidence unit, computing its content hash and id. */
export function buildEvidenceUnit(init: EvidenceInit): EvidenceUnit {
  const hash = contentHash(init.content);
  const unit = create(EvidenceUnitSchema, {
    sourceSystem: init.sourceSystem,
    objectId: init.objectId,
    versionId: init.versionId ?? hash,
    spanOrRowSpec: { spec: init.spec },
    contentType: init.content.case === "text" ? ContentType.TEXT_PLAIN : ContentType.APPLICATION_JSON,
    content: init.content,
    contentHash: hash,
    asOfTime: init.asOfTime,
    retrievedAt: init.retrievedAt,
    policySnapshotId: init.snapshot.id,
    policySnapshotHash: init.snapshot.hash,
    transformChain: [...(init.transformChain ?? [])],
  });
  unit.evidenceUnitId = evidenceUnitId(unit);
  return unit;
}

/** The content of a unit as `EvidenceContent`, or undefined when it carries none. */
export function evidenceContent(unit: EvidenceUnit): EvidenceContent | undefined {
  switch (unit.content.case) {
    case "text":
      return { case: "text", value: unit.content.value };
    case "json":
      return { case: "json", value: unit.content.value as JsonObject };
    default:
      return undefined;
  }
}
