/**
 * Shared pieces of the document (fs corpus) operators: resolving a document at the session's as_of time and
 * describing a text span as evidence.
 */
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import { errors } from "#core/errors/pecr-error.js";
import { parseObjectId } from "../adapters/fs-corpus/object-id.js";
import { buildEvidenceUnit } from "../evidence/evidence-builder.js";
import type { SelectedSpan } from "../adapters/fs-corpus/text-span.js";
import { resolveVersion, type ResolvedVersion } from "../sources/version-selection.js";
import type { ExecuteContext } from "./operator-definition.js";

/** The source system of the document corpus. */
export const FS_CORPUS = "fs_corpus";

/**
 * Requires a well-formed object id (`params.object_id is required`, then the path rules of `parseObjectId`),
 * before it is used anywhere — including as a key of version lookups in the ledger.
 */
export function requireObjectId(objectId: string): string {
  if (objectId.trim() === "") throw errors.invalidParams("params.object_id is required");
  parseObjectId(objectId);
  return objectId;
}

/** The version of a document current at the session's as_of time. */
export function documentAt(context: ExecuteContext, objectId: string): Promise<ResolvedVersion> {
  return resolveVersion(context.deps, FS_CORPUS, objectId, context.asOf, () => context.deps.corpus.read(objectId), context.envelope);
}

/** The evidence unit of a span of a document version. */
export function spanEvidence(context: ExecuteContext, objectId: string, versionId: string, span: SelectedSpan): EvidenceUnit {
  return buildEvidenceUnit({
    sourceSystem: FS_CORPUS,
    objectId,
    versionId,
    spec: {
      case: "textSpan",
      value: { startByte: BigInt(span.startByte), endByte: BigInt(span.endByte), lineStart: BigInt(span.lineStart), lineEnd: BigInt(span.lineEnd) },
    },
    content: { case: "text", value: span.text },
    asOfTime: context.asOf,
    retrievedAt: context.retrievedAt,
    snapshot: context.snapshot,
  });
}

