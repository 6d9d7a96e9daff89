/**
 * `diff`: a unified diff between two versions of a document, emitted as one text evidence unit with a
 * `diff_unified_v1` transform step (reference §3.1.4). Versions come from the ledger's version store; a version
 * not stored is accepted only when it is the document's current content (and is then recorded).
 */
import { create } from "@bufbuild/protobuf";
import { DiffParamsSchema, type DiffParams, type EvidenceUnit, EvidenceUnitSchema, TransformStepSchema } from "#gen/pecr/v1/evidence_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { isSha256Hex } from "#core/canonical/domain-hash.js";
import { sourceVersionId, transformHash } from "#core/canonical/identities.js";
import { errors } from "#core/errors/pecr-error.js";
import type { SourceVersionRecord } from "../ledger/ledger-types.js";
import { decodeUtf8, selectSpan } from "../adapters/fs-corpus/text-span.js";
import { unifiedDiff } from "../adapters/fs-corpus/unified-diff.js";
import { buildEvidenceUnit } from "../evidence/evidence-builder.js";
import { FS_CORPUS, requireObjectId } from "./documents.js";
import type { ExecuteContext, OperatorDefinition } from "./operator-definition.js";

/** The transform type of diff evidence. */
export const DIFF_TRANSFORM = "diff_unified_v1";

/** Bytes of a version: stored, or the current content when it is that version. */
async function versionText(context: ExecuteContext, objectId: string, versionId: string, label: "v1" | "v2", observations: SourceVersionRecord[]): Promise<string> {
  const { deps } = context;
  let bytes = deps.versionBytes.get(FS_CORPUS, objectId, versionId) ?? (await deps.ledger.versionBytes(FS_CORPUS, objectId, versionId));
  if (bytes === undefined) {
    const current = await deps.corpus.read(objectId);
    if (sourceVersionId(current) !== versionId) throw errors.sourceNotFound("requested version not found");
    bytes = current;
    observations.push({ sourceSystem: FS_CORPUS, objectId, versionId, observedAsOf: context.asOf, bytes, observedEvent: context.envelope() });
  }
  deps.versionBytes.set(FS_CORPUS, objectId, versionId, bytes);
  const text = decodeUtf8(bytes);
  if (text === undefined) throw errors.invalidParams(`version ${label} is not valid UTF-8`);
  return text;
}

/** The `diff` operator. */
export const diffOperator: OperatorDefinition<DiffParams, EvidenceUnit> = {
  opName: "diff",
  toOperatorParams: (params) => ({ $typeName: "pecr.v1.OperatorParams", params: { case: "diff", value: params } }),
  target: (params) => ({ objectId: params.objectId }),
  async execute(context, params) {
    const objectId = requireObjectId(params.objectId);
    if (params.v1 === "") throw errors.invalidParams("params.v1 is required");
    if (params.v2 === "") throw errors.invalidParams("params.v2 is required");
    if (!isSha256Hex(params.v1) || !isSha256Hex(params.v2)) throw errors.invalidParams("v1 and v2 must be sha256 hex version ids");
    const observations: SourceVersionRecord[] = [];
    const oldText = await versionText(context, objectId, params.v1, "v1", observations);
    const newText = await versionText(context, objectId, params.v2, "v2", observations);
    const patch = unifiedDiff(objectId, params.v1, params.v2, oldText, newText);
    const patchBytes = new TextEncoder().encode(patch);
    const cap = context.deps.config.fsDiffMaxBytes;
    if (cap !== 0 && patchBytes.length > cap) throw errors.invalidParams("diff exceeds size cap");
    const diffParams = create(DiffParamsSchema, { objectId, v1: params.v1, v2: params.v2 });
    const unit = buildEvidenceUnit({
      sourceSystem: FS_CORPUS,
      objectId,
      versionId: params.v2,
      spec: { case: "textSpan", value: textSpanOf(patchBytes) },
      content: { case: "text", value: patch },
      asOfTime: context.asOf,
      retrievedAt: context.retrievedAt,
      snapshot: context.snapshot,
      transformChain: [
        create(TransformStepSchema, {
          transformType: DIFF_TRANSFORM,
          transformHash: transformHash(DIFF_TRANSFORM, { case: "diff", value: diffParams }),
          params: { case: "diff", value: diffParams },
        }),
      ],
    });
    return {
      result: unit,
      emitted: [unit],
      egressUnits: [unit],
      egressRefs: [],
      sourceVersions: observations,
      resultBytes: canonicalBytes(EvidenceUnitSchema, unit).length,
      staleReads: 0,
      cacheHit: false,
    };
  },
};

function textSpanOf(bytes: Uint8Array) {
  const span = selectSpan(bytes, undefined, undefined);
  return { startByte: 0n, endByte: BigInt(span.endByte), lineStart: BigInt(span.lineStart), lineEnd: BigInt(span.lineEnd) };
}
