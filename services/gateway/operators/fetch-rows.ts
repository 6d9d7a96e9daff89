/**
 * `fetch_rows`: rows of an allowlisted safe view as of the session's time, one JSON evidence unit per row with
 * only the requested fields, redacted when the policy says so (reference §3.2.3-§3.2.4).
 *
 * Every row read is versioned in the ledger's source-version store (its full snapshot of allowlisted fields).
 * A row whose stored version current at the session's as_of differs from the database's is served from the
 * store; with a filter on the whole primary key the store answers without touching the database at all.
 */
import { type EvidenceUnit, EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import type { FetchRowsParams } from "#gen/pecr/v1/operator_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { fieldsHash, filterFingerprint, rowSnapshotBytes } from "#core/canonical/identities.js";
import type { SourceVersionRecord } from "../ledger/ledger-types.js";
import { resolveView, validateFields, validateFilter, type FilterPairs } from "../adapters/pg-safeview/safe-view-params.js";
import type { SafeViewRow } from "../adapters/pg-safeview/safe-view-runner.js";
import { fetchRowsStatement } from "../adapters/pg-safeview/safe-view-sql.js";
import type { SafeViewSpec } from "../adapters/pg-safeview/view-specs.js";
import { buildEvidenceUnit } from "../evidence/evidence-builder.js";
import { observeCurrent, selectStoredVersion, storedVersionBytes } from "../sources/version-selection.js";
import type { ExecuteContext, OperatorDefinition } from "./operator-definition.js";
import {
  applyRedaction,
  decodeRowSnapshot,
  matchesFilter,
  PG_SAFEVIEW,
  rowJson,
  rowKey,
  rowObjectId,
  safeViewLimits,
} from "./safe-view-rows.js";

interface VersionedRow {
  readonly row: SafeViewRow;
  readonly versionId: string;
  readonly stale: boolean;
}

/** The stored row version current at as_of, decoded; undefined when the store cannot answer for that time. */
async function storedRowAt(context: ExecuteContext, objectId: string) {
  const versions = await context.deps.versionCatalog.versions(PG_SAFEVIEW, objectId);
  const stored = selectStoredVersion(versions, context.asOf);
  const bytes = stored === undefined ? undefined : await storedVersionBytes(context.deps, stored);
  const row = bytes === undefined ? undefined : decodeRowSnapshot(bytes);
  return { versions, stored: stored !== undefined && row !== undefined ? { version: stored, row } : undefined };
}

/** Rows as of the session's time, and the new observations to record. */
async function rowsAsOf(context: ExecuteContext, spec: SafeViewSpec, filter: FilterPairs): Promise<{ rows: VersionedRow[]; observations: SourceVersionRecord[] }> {
  const tenantId = context.principal.tenantId;
  const filterValue = new Map(filter);
  const keyFromFilter = spec.primaryKey.map((field, index) => (index === 0 ? tenantId : filterValue.get(field)));
  if (keyFromFilter.every((value): value is string => value !== undefined)) {
    // The whole key is known: the store alone can answer for a time it has observed.
    const { stored } = await storedRowAt(context, rowObjectId(spec, keyFromFilter));
    if (stored !== undefined) {
      const rows = matchesFilter(stored.row, filter) ? [{ row: stored.row, versionId: stored.version.versionId, stale: false }] : [];
      return { rows, observations: [] };
    }
  }

  const limits = safeViewLimits(context);
  const current = await context.deps.safeViews.query(fetchRowsStatement(spec, filter, limits.maxRows), tenantId, context.deps.config.pgSafeViewQueryTimeoutMs);
  const rows: VersionedRow[] = [];
  const observations: SourceVersionRecord[] = [];
  for (const row of current) {
    const objectId = rowObjectId(spec, rowKey(spec, row));
    const { versions, stored } = await storedRowAt(context, objectId);
    if (stored !== undefined) {
      if (matchesFilter(stored.row, filter)) rows.push({ row: stored.row, versionId: stored.version.versionId, stale: false });
      continue;
    }
    const observed = observeCurrent(context.deps, PG_SAFEVIEW, objectId, rowSnapshotBytes(rowJson(row, spec.selectableFields)), versions, context.asOf, context.envelope);
    if (observed.observation !== undefined) observations.push(observed.observation);
    rows.push({ row, versionId: observed.versionId, stale: observed.stale });
  }
  return { rows, observations };
}

/** The `fetch_rows` operator. */
export const fetchRowsOperator: OperatorDefinition<FetchRowsParams, EvidenceUnit[]> = {
  opName: "fetch_rows",
  toOperatorParams: (params) => ({ $typeName: "pecr.v1.OperatorParams", params: { case: "fetchRows", value: params } }),
  target: (params) => ({
    viewId: params.viewId.trim() === "" ? null : params.viewId.trim(),
    fieldsHash: fieldsHash(params.fields),
    filterFingerprint: Object.keys(params.filterSpec).length === 0 ? null : filterFingerprint(params.filterSpec),
  }),
  async execute(context, params) {
    const spec = resolveView(context.deps.viewSpecs, params.viewId);
    const fields = validateFields(spec, params.fields, safeViewLimits(context));
    const filter = validateFilter(spec, params.filterSpec);
    const { rows, observations } = await rowsAsOf(context, spec, filter);
    const units = rows.map(({ row, versionId }) =>
      buildEvidenceUnit({
        sourceSystem: PG_SAFEVIEW,
        objectId: rowObjectId(spec, rowKey(spec, row)),
        versionId,
        spec: {
          case: "dbRow",
          value: { viewId: spec.viewId, primaryKey: Object.fromEntries(spec.primaryKey.map((field) => [field, row[field] ?? ""])), fields },
        },
        content: { case: "json", value: rowJson(row, fields) },
        asOfTime: context.asOf,
        retrievedAt: context.retrievedAt,
        snapshot: context.snapshot,
      }),
    );
    const redacted = applyRedaction(context, units);
    return {
      result: redacted,
      emitted: redacted,
      egressUnits: redacted,
      egressRefs: [],
      sourceVersions: observations,
      resultBytes: redacted.reduce((total, unit) => total + canonicalBytes(EvidenceUnitSchema, unit).length, 0),
      staleReads: rows.filter((row) => row.stale).length,
      cacheHit: false,
    };
  },
};
