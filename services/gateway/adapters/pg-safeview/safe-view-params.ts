/**
 * Validation of FetchRows and Aggregate parameters against the allowlist. Every check has a fixed error message
 * (reference §2.10), so identical bad requests fail identically; field names appear in messages only after they
 * were trimmed, and only the offending allowlist miss is named.
 */
import { compareCodePoints, normaliseNameList } from "#core/canonical/canonical-text.js";
import { errors } from "#core/errors/pecr-error.js";
import type { MetricSpec, SafeViewSpec } from "./view-specs.js";

/** Limits of safe-view reads. */
export interface SafeViewLimits {
  /** Rows returned at most by fetch_rows. */
  readonly maxRows: number;
  /** Fields requested at most. */
  readonly maxFields: number;
  /** Groups returned at most by aggregate. */
  readonly maxGroups: number;
}

/** A validated equality filter: pairs sorted by field. */
export type FilterPairs = readonly (readonly [field: string, value: string])[];

/** Looks up an allowlisted view (`view_id not allowlisted`). */
export function resolveView(specs: ReadonlyMap<string, SafeViewSpec>, viewId: string): SafeViewSpec {
  const trimmed = viewId.trim();
  if (trimmed === "") throw errors.invalidParams("params.view_id is required");
  const spec = specs.get(trimmed);
  if (spec === undefined) throw errors.invalidParams("view_id not allowlisted");
  return spec;
}

/** Validates requested fields: trimmed, non-empty, bounded, allowlisted; sorted and de-duplicated. */
export function validateFields(spec: SafeViewSpec, fields: readonly string[], limits: SafeViewLimits): string[] {
  const normalised = normaliseNameList(fields);
  if (normalised.length === 0) throw errors.invalidParams("params.fields must be a non-empty array");
  if (normalised.length > limits.maxFields) throw errors.invalidParams("params.fields exceeds max field count");
  for (const field of normalised) {
    if (!spec.selectableFields.includes(field)) throw errors.invalidParams(`field not allowlisted: ${field}`);
  }
  return normalised;
}

/** Validates an equality filter: blank keys skipped, allowlisted keys, non-empty values; sorted by field. */
export function validateFilter(spec: SafeViewSpec, filterSpec: { readonly [field: string]: string }): FilterPairs {
  const pairs: [string, string][] = [];
  for (const [rawField, value] of Object.entries(filterSpec)) {
    const field = rawField.trim();
    if (field === "") continue;
    if (!spec.filterFields.includes(field)) throw errors.invalidParams(`filter field not allowlisted: ${field}`);
    if (value.trim() === "") throw errors.invalidParams(`filter_spec.${field} must be a non-empty string`);
    // Postgres text cannot hold NUL; such a value can match nothing, and must not reach the database as an error.
    if (value.includes("\0")) throw errors.invalidParams(`filter_spec.${field} must not contain NUL`);
    pairs.push([field, value]);
  }
  return pairs.sort(([a], [b]) => compareCodePoints(a, b));
}

/** Validates group-by fields: trimmed, allowlisted; sorted and de-duplicated. */
export function validateGroupBy(spec: SafeViewSpec, groupBy: readonly string[]): string[] {
  const normalised = normaliseNameList(groupBy);
  for (const field of normalised) {
    if (!spec.groupByFields.includes(field)) throw errors.invalidParams(`group_by field not allowlisted: ${field}`);
  }
  return normalised;
}

/** Validates metrics: non-empty, names and fields present and allowlisted; sorted by (name, field), de-duplicated. */
export function validateMetrics(spec: SafeViewSpec, metrics: readonly { name: string; field: string }[]): MetricSpec[] {
  if (metrics.length === 0) throw errors.invalidParams("params.metrics must be a non-empty array");
  const seen = new Map<string, MetricSpec>();
  for (const metric of metrics) {
    const name = metric.name.trim();
    const field = metric.field.trim();
    if (name === "" || field === "") throw errors.invalidParams("metric name and field are required");
    const allowed = spec.metrics.find((candidate) => candidate.name === name && candidate.field === field);
    if (allowed === undefined) throw errors.invalidParams(`metric not allowlisted: ${name}(${field})`);
    seen.set(`${name}\u0000${field}`, allowed);
  }
  return [...seen.values()].sort((a, b) => compareCodePoints(a.name, b.name) || compareCodePoints(a.field, b.field));
}
