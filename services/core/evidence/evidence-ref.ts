/**
 * The ref of an evidence unit: its id and where it came from, never its content. The gateway answers searches with
 * refs and the controller cites them in stream events and `RunResponse.cited_evidence`; both build them here.
 */
import { create } from "@bufbuild/protobuf";
import { type EvidenceUnit, type EvidenceUnitRef, EvidenceUnitRefSchema } from "#gen/pecr/v1/evidence_pb.js";

/** The ref of `unit`. */
export function refOf(unit: EvidenceUnit): EvidenceUnitRef {
  return create(EvidenceUnitRefSchema, {
    evidenceUnitId: unit.evidenceUnitId,
    sourceSystem: unit.sourceSystem,
    objectId: unit.objectId,
    versionId: unit.versionId,
  });
}
