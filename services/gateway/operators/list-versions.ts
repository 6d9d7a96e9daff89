/**
 * `list_versions`: the stored versions of a document that were observed at or before the session's as_of
 * time, each with its own first-observed time. The current source is read (and a new version recorded) when
 * the session's time is newer than every observation.
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type SourceVersion, SourceVersionSchema } from "#gen/pecr/v1/evidence_pb.js";
import type { ListVersionsParams } from "#gen/pecr/v1/operator_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { compareCodePoints } from "#core/canonical/canonical-text.js";
import { versionMetadataHash } from "#core/canonical/identities.js";
import { documentAt, FS_CORPUS, requireObjectId } from "./documents.js";
import type { OperatorDefinition } from "./operator-definition.js";

/** The `list_versions` operator. */
export const listVersionsOperator: OperatorDefinition<ListVersionsParams, SourceVersion[]> = {
  opName: "list_versions",
  toOperatorParams: (params) => ({ $typeName: "pecr.v1.OperatorParams", params: { case: "listVersions", value: params } }),
  target: (params) => ({ objectId: params.objectId }),
  async execute(context, params) {
    const objectId = requireObjectId(params.objectId);
    const current = await documentAt(context, objectId);
    const asOf = timestampDate(context.asOf).getTime();
    const stored = await context.deps.ledger.listVersions(FS_CORPUS, objectId);
    const entries = stored.map((version) => ({ versionId: version.versionId, firstObservedAt: version.firstObservedAsOf, byteLength: version.byteLength }));
    if (current.observation !== undefined) {
      entries.push({ versionId: current.versionId, firstObservedAt: current.firstObservedAt, byteLength: BigInt(current.bytes.length) });
    }
    const versions = entries
      .filter((entry) => timestampDate(entry.firstObservedAt).getTime() <= asOf)
      .sort((a, b) => timestampDate(a.firstObservedAt).getTime() - timestampDate(b.firstObservedAt).getTime() || compareCodePoints(a.versionId, b.versionId))
      .map((entry) =>
        create(SourceVersionSchema, {
          ...entry,
          metadataHash: versionMetadataHash(objectId, entry.versionId, entry.byteLength, entry.firstObservedAt),
        }),
      );
    return {
      result: versions,
      emitted: [],
      egressUnits: [],
      egressRefs: [],
      sourceVersions: current.observation === undefined ? [] : [current.observation],
      resultBytes: versions.reduce((total, version) => total + canonicalBytes(SourceVersionSchema, version).length, 0),
      staleReads: 0,
      cacheHit: false,
    };
  },
};
