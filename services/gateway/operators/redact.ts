/**
 * `redact`: applies the session's redaction directive (the policy's decision for this call) to evidence units
 * emitted earlier in this session. Units are verified first: emitted here, bound to this session's snapshot and
 * time, content present and matching their hashes. Only units the directive changes are stored and emitted (with
 * a `redaction` transform step and a new id); the others come back unchanged.
 */
import { type EvidenceUnit, EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import type { RedactParams } from "#gen/pecr/v1/operator_pb.js";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { isSha256Hex } from "#core/canonical/domain-hash.js";
import { contentHash, evidenceUnitId } from "#core/canonical/identities.js";
import { errors } from "#core/errors/pecr-error.js";
import { evidenceContent } from "../evidence/evidence-builder.js";
import { redactEvidenceUnit } from "../evidence/redaction.js";
import type { ExecuteContext, OperatorDefinition } from "./operator-definition.js";

/** Units accepted per call. */
export const MAX_REDACT_UNITS = 200;

function verifyUnit(context: ExecuteContext, unit: EvidenceUnit): void {
  if (!isSha256Hex(unit.evidenceUnitId)) throw errors.invalidParams("invalid EvidenceUnit");
  if (!context.emittedEvidence.has(unit.evidenceUnitId)) throw errors.invalidParams("evidence_unit_id not emitted in this session");
  const sameTime = unit.asOfTime !== undefined && timestampDate(unit.asOfTime).getTime() === timestampDate(context.asOf).getTime();
  if (unit.policySnapshotHash !== context.snapshot.hash || !sameTime) {
    throw errors.invalidParams("EvidenceUnit is not bound to this session's snapshot and as_of_time");
  }
  const content = evidenceContent(unit);
  if (content === undefined) throw errors.invalidParams("EvidenceUnit.content is required");
  if (contentHash(content) !== unit.contentHash) throw errors.invalidParams("EvidenceUnit.content_hash mismatch");
  if (evidenceUnitId(unit) !== unit.evidenceUnitId) throw errors.invalidParams("EvidenceUnit.evidence_unit_id mismatch");
}

/** The `redact` operator. */
export const redactOperator: OperatorDefinition<RedactParams, EvidenceUnit[]> = {
  opName: "redact",
  toOperatorParams: (params) => ({ $typeName: "pecr.v1.OperatorParams", params: { case: "redact", value: params } }),
  target: () => ({}),
  async execute(context, params) {
    if (params.evidenceUnits.length > MAX_REDACT_UNITS) throw errors.invalidParams("evidence_units too large");
    for (const unit of params.evidenceUnits) verifyUnit(context, unit);
    const redaction = context.decision.redaction;
    if (redaction !== undefined && params.evidenceUnits.some((unit) => unit.content.case !== "json")) {
      throw errors.invalidParams("redact supports application/json evidence only");
    }
    const result = params.evidenceUnits.map((unit) => (redaction === undefined ? unit : redactEvidenceUnit(unit, redaction, context.snapshot)));
    const emitted = result.filter((unit, index) => unit !== params.evidenceUnits[index]);
    return {
      result,
      emitted,
      egressUnits: result,
      egressRefs: [],
      sourceVersions: [],
      resultBytes: result.reduce((total, unit) => total + canonicalBytes(EvidenceUnitSchema, unit).length, 0),
      staleReads: 0,
      cacheHit: false,
    };
  },
};
