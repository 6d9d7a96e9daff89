/**
 * The safe-view allowlist: which views may be read, which fields selected, filtered and grouped by, and which
 * metrics computed. Identifiers used in SQL come only from here, never from requests.
 */

/** One allowlisted metric: a function over a field. */
export interface MetricSpec {
  /** Function name (only `count` is implemented). */
  readonly name: "count";
  /** The field counted. */
  readonly field: string;
}

/** One allowlisted safe view. */
export interface SafeViewSpec {
  /** The view's name. */
  readonly viewId: string;
  /** Primary-key columns, in order (the first is the tenant column). */
  readonly primaryKey: readonly string[];
  /** The column that dates a row version (rendered as RFC 3339 UTC). */
  readonly versionField: string;
  /** Columns that may be selected (all of the view's columns). */
  readonly selectableFields: readonly string[];
  /** Columns that may be filtered on (equality). */
  readonly filterFields: readonly string[];
  /** Columns that may be grouped by. */
  readonly groupByFields: readonly string[];
  /** Metrics that may be computed. */
  readonly metrics: readonly MetricSpec[];
}

const PUBLIC_FIELDS = ["tenant_id", "customer_id", "status", "plan_tier", "updated_at"] as const;

function customerView(viewId: string, extraFields: readonly string[]): SafeViewSpec {
  return {
    viewId,
    primaryKey: ["tenant_id", "customer_id"],
    versionField: "updated_at",
    selectableFields: [...PUBLIC_FIELDS, ...extraFields],
    filterFields: ["customer_id", "status", "plan_tier"],
    groupByFields: ["status", "plan_tier"],
    metrics: [{ name: "count", field: "customer_id" }],
  };
}

/**
 * The fixture views (db/fixtures/safeview.sql). `safe_customer_view`, which exposes every column, is
 * deliberately not allowlisted.
 */
export const FIXTURE_SAFE_VIEWS: readonly SafeViewSpec[] = [
  customerView("safe_customer_view_public", []),
  customerView("safe_customer_view_public_slow", []),
  customerView("safe_customer_view_admin", ["admin_note"]),
  customerView("safe_customer_view_support", ["support_note"]),
  customerView("safe_customer_view_injection", ["injection_note"]),
];
