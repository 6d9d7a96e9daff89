/**
 * `fetch_span`: a byte range of a document as of the session's time, emitted as one text evidence unit. A
 * whole-document fetch has exactly the id of the search ref for the same version.
 */
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import { EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import type { FetchSpanParams } from "#gen/pecr/v1/operator_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { selectSpan } from "../adapters/fs-corpus/text-span.js";
import { documentAt, requireObjectId, spanEvidence } from "./documents.js";
import type { OperatorDefinition } from "./operator-definition.js";

/** The `fetch_span` operator. */
export const fetchSpanOperator: OperatorDefinition<FetchSpanParams, EvidenceUnit> = {
  opName: "fetch_span",
  toOperatorParams: (params) => ({ $typeName: "pecr.v1.OperatorParams", params: { case: "fetchSpan", value: params } }),
  target: (params) => ({ objectId: params.objectId }),
  async execute(context, params) {
    const objectId = requireObjectId(params.objectId);
    const version = await documentAt(context, objectId);
    const unit = spanEvidence(context, objectId, version.versionId, selectSpan(version.bytes, params.startByte, params.endByte));
    return {
      result: unit,
      emitted: [unit],
      egressUnits: [unit],
      egressRefs: [],
      sourceVersions: version.observation === undefined ? [] : [version.observation],
      resultBytes: canonicalBytes(EvidenceUnitSchema, unit).length,
      staleReads: version.stale ? 1 : 0,
      cacheHit: false,
    };
  },
};
