/**
 * `aggregate`: allowlisted metrics (counts) over an allowlisted safe view, optionally grouped and filtered,
 * emitted as one JSON evidence unit `{rows: [{group, metrics}]}` whose version id is its content hash
 * (reference §3.2.5). Aggregates are computed over the view's current rows.
 */
import { type EvidenceUnit, EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import type { AggregateParams } from "#gen/pecr/v1/operator_pb.js";
import type { JsonObject } from "@bufbuild/protobuf";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { filterFingerprint } from "#core/canonical/identities.js";
import { resolveView, validateFilter, validateGroupBy, validateMetrics } from "../adapters/pg-safeview/safe-view-params.js";
import { aggregateStatement, metricColumn } from "../adapters/pg-safeview/safe-view-sql.js";
import { buildEvidenceUnit } from "../evidence/evidence-builder.js";
import type { OperatorDefinition } from "./operator-definition.js";
import { applyRedaction, PG_SAFEVIEW, safeViewLimits } from "./safe-view-rows.js";

/** The `aggregate` operator. */
export const aggregateOperator: OperatorDefinition<AggregateParams, EvidenceUnit> = {
  opName: "aggregate",
  toOperatorParams: (params) => ({ $typeName: "pecr.v1.OperatorParams", params: { case: "aggregate", value: params } }),
  target: (params) => ({
    viewId: params.viewId.trim() === "" ? null : params.viewId.trim(),
    filterFingerprint: Object.keys(params.filterSpec).length === 0 ? null : filterFingerprint(params.filterSpec),
  }),
  async execute(context, params) {
    const spec = resolveView(context.deps.viewSpecs, params.viewId);
    const groupBy = validateGroupBy(spec, params.groupBy);
    const metrics = validateMetrics(spec, params.metrics);
    const filter = validateFilter(spec, params.filterSpec);
    const limits = safeViewLimits(context);
    const rows = await context.deps.safeViews.query(
      aggregateStatement(spec, groupBy, metrics, filter, limits.maxGroups),
      context.principal.tenantId,
      context.deps.config.pgSafeViewQueryTimeoutMs,
    );
    const content: JsonObject = {
      rows: rows.map((row) => ({
        group: Object.fromEntries(groupBy.map((field) => [field, row[field] ?? null])),
        metrics: metrics.map((metric) => ({ name: metric.name, field: metric.field, value: Number(row[metricColumn(metric)] ?? 0) })),
      })),
    };
    const unit = buildEvidenceUnit({
      sourceSystem: PG_SAFEVIEW,
      objectId: spec.viewId,
      versionId: undefined,
      spec: {
        case: "dbAggregate",
        value: { viewId: spec.viewId, filterFingerprint: filterFingerprint(Object.fromEntries(filter)), groupBy, metrics: metrics.map((metric) => ({ ...metric })) },
      },
      content: { case: "json", value: content },
      asOfTime: context.asOf,
      retrievedAt: context.retrievedAt,
      snapshot: context.snapshot,
    });
    const [redacted] = applyRedaction(context, [unit]) as [EvidenceUnit];
    return {
      result: redacted,
      emitted: [redacted],
      egressUnits: [redacted],
      egressRefs: [],
      sourceVersions: [],
      resultBytes: canonicalBytes(EvidenceUnitSchema, redacted).length,
      staleReads: 0,
      cacheHit: false,
    };
  },
};
