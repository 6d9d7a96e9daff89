/**
 * `search`: objects whose text (as of the session's time) contains the query, as refs to whole-document
 * evidence units. Policy-filtered: a principal never learns that an object it may not read exists. Refs are
 * not session evidence; fetching the whole document emits the unit with the identical id.
 */
import { create } from "@bufbuild/protobuf";
import { type EvidenceUnitRef, EvidenceUnitRefSchema } from "#gen/pecr/v1/evidence_pb.js";
import type { SearchParams } from "#gen/pecr/v1/operator_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { errors } from "#core/errors/pecr-error.js";
import type { SourceVersionRecord } from "../ledger/ledger-types.js";
import { decodeUtf8, selectSpan } from "../adapters/fs-corpus/text-span.js";
import { refOf } from "#core/evidence/evidence-ref.js";
import { documentAt, spanEvidence } from "./documents.js";
import { mayRead } from "./egress-check.js";
import type { OperatorDefinition } from "./operator-definition.js";

/** Refs returned when the request leaves `limit` at 0. */
export const DEFAULT_SEARCH_LIMIT = 10;
/** Refs returned at most. */
export const MAX_SEARCH_LIMIT = 50;

/** The `search` operator. */
export const searchOperator: OperatorDefinition<SearchParams, EvidenceUnitRef[]> = {
  opName: "search",
  toOperatorParams: (params) => ({ $typeName: "pecr.v1.OperatorParams", params: { case: "search", value: params } }),
  target: () => ({}),
  async execute(context, params) {
    const query = params.query.trim();
    if (query === "") throw errors.invalidParams("params.query is required");
    const limit = params.limit === 0 ? DEFAULT_SEARCH_LIMIT : Math.min(params.limit, MAX_SEARCH_LIMIT);
    const { deps } = context;
    const { paramsHash } = context;
    const cached = deps.searchCache.get(context.snapshot.hash, paramsHash);
    if (cached !== undefined) {
      return { result: [...cached.refs], emitted: [], egressUnits: [], egressRefs: cached.refs, sourceVersions: [], resultBytes: cached.resultBytes, staleReads: 0, cacheHit: true };
    }

    const refs: EvidenceUnitRef[] = [];
    const sourceVersions: SourceVersionRecord[] = [];
    let staleReads = 0;
    for (const objectId of await deps.corpus.list()) {
      if (refs.length >= limit) break;
      if (!(await mayRead(deps, context, { opName: "fetch_span", objectId, viewId: null }))) continue;
      const version = await documentAt(context, objectId);
      if (version.observation !== undefined) sourceVersions.push(version.observation);
      const text = decodeUtf8(version.bytes);
      if (text === undefined || !text.includes(query)) continue;
      if (version.stale) staleReads++;
      refs.push(refOf(spanEvidence(context, objectId, version.versionId, selectSpan(version.bytes, undefined, undefined))));
    }
    const resultBytes = refs.reduce((total, ref) => total + canonicalBytes(EvidenceUnitRefSchema, ref).length, 0);
    deps.searchCache.set(context.snapshot.hash, paramsHash, { refs: refs.map((ref) => create(EvidenceUnitRefSchema, ref)), resultBytes });
    return { result: refs, emitted: [], egressUnits: [], egressRefs: refs, sourceVersions, resultBytes, staleReads, cacheHit: false };
  },
};
