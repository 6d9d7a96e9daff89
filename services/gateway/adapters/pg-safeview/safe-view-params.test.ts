import test from "ava";
import { PecrError } from "#core/errors/pecr-error.js";
import { resolveView, validateFields, validateFilter, validateGroupBy, validateMetrics } from "./safe-view-params.js";
import { aggregateStatement, fetchRowsStatement } from "./safe-view-sql.js";
import { FIXTURE_SAFE_VIEWS } from "./view-specs.js";

const specs = new Map(FIXTURE_SAFE_VIEWS.map((spec) => [spec.viewId, spec]));
const publicView = resolveView(specs, "safe_customer_view_public");
const limits = { maxRows: 200, maxFields: 3, maxGroups: 200 };

function messageOf(fn: () => unknown, t: { throws: (fn: () => unknown) => unknown }): string {
  const error = t.throws(fn);
  return error instanceof PecrError ? error.message : String(error);
}

test("only allowlisted views resolve; the all-columns view is not allowlisted", (t) => {
  t.is(messageOf(() => resolveView(specs, "safe_customer_view"), t), "view_id not allowlisted");
  t.is(messageOf(() => resolveView(specs, "  "), t), "params.view_id is required");
  t.is(messageOf(() => resolveView(specs, "pecr_fixture_customers; DROP TABLE x"), t), "view_id not allowlisted");
});

test("fields are trimmed, de-duplicated, sorted, bounded and allowlisted", (t) => {
  t.deepEqual(validateFields(publicView, [" status", "plan_tier", "status", ""], limits), ["plan_tier", "status"]);
  t.is(messageOf(() => validateFields(publicView, [], limits), t), "params.fields must be a non-empty array");
  t.is(messageOf(() => validateFields(publicView, ["admin_note"], limits), t), "field not allowlisted: admin_note");
  t.is(messageOf(() => validateFields(publicView, ["status", "plan_tier", "customer_id", "tenant_id"], limits), t), "params.fields exceeds max field count");
});

test("filters allow only filter fields with non-empty values and are sorted by field", (t) => {
  t.deepEqual(validateFilter(publicView, { status: "active", customer_id: "c1", " ": "ignored" }), [["customer_id", "c1"], ["status", "active"]]);
  t.is(messageOf(() => validateFilter(publicView, { admin_note: "x" }), t), "filter field not allowlisted: admin_note");
  t.is(messageOf(() => validateFilter(publicView, { status: " " }), t), "filter_spec.status must be a non-empty string");
});

test("group-by fields and metrics are allowlisted", (t) => {
  t.deepEqual(validateGroupBy(publicView, ["status", "plan_tier"]), ["plan_tier", "status"]);
  t.is(messageOf(() => validateGroupBy(publicView, ["customer_id"]), t), "group_by field not allowlisted: customer_id");
  t.deepEqual(validateMetrics(publicView, [{ name: "count", field: "customer_id" }, { name: " count", field: "customer_id " }]), [{ name: "count", field: "customer_id" }]);
  t.is(messageOf(() => validateMetrics(publicView, []), t), "params.metrics must be a non-empty array");
  t.is(messageOf(() => validateMetrics(publicView, [{ name: "sum", field: "customer_id" }]), t), "metric not allowlisted: sum(customer_id)");
  t.is(messageOf(() => validateMetrics(publicView, [{ name: "", field: "customer_id" }]), t), "metric name and field are required");
});

test("values never enter SQL text: filters become bound parameters", (t) => {
  const hostile = "x' OR '1'='1";
  const statement = fetchRowsStatement(publicView, [["customer_id", hostile]], 200);
  t.false(statement.text.includes(hostile));
  t.deepEqual(statement.params, [hostile]);
  t.is(
    statement.text,
    'SELECT "tenant_id"::text AS "tenant_id", "customer_id"::text AS "customer_id", "status"::text AS "status", "plan_tier"::text AS "plan_tier", ' +
      `to_char("updated_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "updated_at" ` +
      'FROM "safe_customer_view_public" WHERE "customer_id"::text = $1 ORDER BY "tenant_id", "customer_id" LIMIT 200',
  );
});

test("aggregates group and order by the validated fields", (t) => {
  const statement = aggregateStatement(publicView, ["plan_tier"], [{ name: "count", field: "customer_id" }], [], 200);
  t.is(
    statement.text,
    'SELECT "plan_tier"::text AS "plan_tier", COUNT("customer_id")::bigint AS "count_customer_id" FROM "safe_customer_view_public" GROUP BY "plan_tier" ORDER BY "plan_tier" LIMIT 200',
  );
  t.deepEqual(statement.params, []);
});
