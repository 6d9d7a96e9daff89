/**
 * SQL text for safe-view reads. Identifiers come only from the allowlist (`SafeViewSpec`) and are quoted;
 * every value is a bound parameter (`$1`, `$2`, ...). The text is therefore a function of allowlisted names
 * alone, which is why it may be built as a string and run with bound parameters on either backend.
 */
import type { FilterPairs } from "./safe-view-params.js";
import type { MetricSpec, SafeViewSpec } from "./view-specs.js";

/** A statement with its bound parameters. */
export interface BoundStatement {
  /** SQL text with `$n` placeholders. */
  readonly text: string;
  /** Parameter values, in placeholder order. */
  readonly params: readonly string[];
}

/** Quotes an identifier (the names are allowlisted; quoting keeps even odd ones inert). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Renders a column: the version field as RFC 3339 UTC seconds, everything else as text. */
function renderColumn(spec: SafeViewSpec, field: string): string {
  const column = quoteIdentifier(field);
  return field === spec.versionField
    ? `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ${column}`
    : `${column}::text AS ${column}`;
}

function whereClause(filter: FilterPairs, params: string[]): string {
  if (filter.length === 0) return "";
  const conditions = filter.map(([field, value]) => {
    params.push(value);
    return `${quoteIdentifier(field)}::text = $${params.length}`;
  });
  return ` WHERE ${conditions.join(" AND ")}`;
}

/** SELECT of every selectable field of the rows matching `filter`, ordered by primary key. */
export function fetchRowsStatement(spec: SafeViewSpec, filter: FilterPairs, maxRows: number): BoundStatement {
  const params: string[] = [];
  const columns = spec.selectableFields.map((field) => renderColumn(spec, field)).join(", ");
  const order = spec.primaryKey.map(quoteIdentifier).join(", ");
  const where = whereClause(filter, params);
  return {
    text: `SELECT ${columns} FROM ${quoteIdentifier(spec.viewId)}${where} ORDER BY ${order} LIMIT ${Math.trunc(maxRows)}`,
    params,
  };
}

/** The result column holding a metric's value. */
export function metricColumn(metric: MetricSpec): string {
  return `${metric.name}_${metric.field}`;
}

/** Aggregate SELECT: metrics per group (or over all matching rows when there is no group-by). */
export function aggregateStatement(
  spec: SafeViewSpec,
  groupBy: readonly string[],
  metrics: readonly MetricSpec[],
  filter: FilterPairs,
  maxGroups: number,
): BoundStatement {
  const params: string[] = [];
  const groups = groupBy.map((field) => `${quoteIdentifier(field)}::text AS ${quoteIdentifier(field)}`);
  const values = metrics.map(
    (metric) => `COUNT(${quoteIdentifier(metric.field)})::bigint AS ${quoteIdentifier(metricColumn(metric))}`,
  );
  const where = whereClause(filter, params);
  const from = `FROM ${quoteIdentifier(spec.viewId)}${where}`;
  const tail =
    groupBy.length === 0
      ? ""
      : ` GROUP BY ${groupBy.map(quoteIdentifier).join(", ")} ORDER BY ${groupBy.map(quoteIdentifier).join(", ")} LIMIT ${Math.trunc(maxGroups)}`;
  return { text: `SELECT ${[...groups, ...values].join(", ")} ${from}${tail}`, params };
}
