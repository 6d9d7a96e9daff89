import test from "ava";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { evidenceUnitId } from "#core/canonical/identities.js";
import { buildEvidenceUnit } from "./evidence-builder.js";
import { redactEvidenceUnit, redactJson } from "./redaction.js";

const snapshot = { id: "snap-1", hash: "a".repeat(64) };
const asOfTime = timestampFromMs(0);

function rowUnit() {
  return buildEvidenceUnit({
    sourceSystem: "pg_safeview",
    objectId: "safe_customer_view_admin:local:cust_public_1",
    versionId: "b".repeat(64),
    spec: { case: "dbRow", value: { viewId: "safe_customer_view_admin", primaryKey: { tenant_id: "local", customer_id: "cust_public_1" }, fields: ["admin_note", "status"] } },
    content: { case: "json", value: { admin_note: "PECR_CANARY_PG_ADMIN_DELTA_1f2d8c6f87f84b76", status: "active" } },
    asOfTime,
    retrievedAt: asOfTime,
    snapshot,
  });
}

test("deny_fields removes the field at any depth and leaves others", (t) => {
  t.deepEqual(redactJson({ a: 1, admin_note: "x", nested: [{ admin_note: "y", b: 2 }] }, { kind: "deny_fields", fields: ["admin_note"] }), {
    a: 1,
    nested: [{ b: 2 }],
  });
});

test("a redacted row gets new content, filtered fields, a redaction step and a new id computed after redaction", (t) => {
  const unit = rowUnit();
  const redacted = redactEvidenceUnit(unit, { kind: "deny_fields", fields: ["admin_note"] }, snapshot);
  t.not(redacted.evidenceUnitId, unit.evidenceUnitId);
  t.deepEqual(redacted.content, { case: "json", value: { status: "active" } });
  t.deepEqual(redacted.spanOrRowSpec?.spec.case === "dbRow" ? redacted.spanOrRowSpec.spec.value.fields : undefined, ["status"]);
  t.is(redacted.transformChain.length, 1);
  t.is(redacted.transformChain[0]?.transformType, "redaction");
  t.regex(redacted.transformChain[0]?.transformHash ?? "", /^[0-9a-f]{64}$/);
  t.is(redacted.evidenceUnitId, evidenceUnitId(redacted));
  t.false(JSON.stringify(redacted.content).includes("PECR_CANARY"));
});

test("redaction that changes nothing keeps the same unit and id", (t) => {
  const unit = rowUnit();
  t.is(redactEvidenceUnit(unit, { kind: "deny_fields", fields: ["support_note"] }, snapshot), unit);
});

test("allow_fields on an aggregate filters group keys and metrics, not the structure", (t) => {
  const unit = buildEvidenceUnit({
    sourceSystem: "pg_safeview",
    objectId: "v",
    versionId: undefined,
    spec: { case: "dbAggregate", value: { viewId: "v", filterFingerprint: "f", groupBy: ["plan_tier", "status"], metrics: [{ name: "count", field: "customer_id" }] } },
    content: { case: "json", value: { rows: [{ group: { plan_tier: "free", status: "active" }, metrics: [{ name: "count", field: "customer_id", value: 1 }] }] } },
    asOfTime,
    retrievedAt: asOfTime,
    snapshot,
  });
  const redacted = redactEvidenceUnit(unit, { kind: "allow_fields", fields: ["plan_tier"] }, snapshot);
  t.deepEqual(redacted.content.value, { rows: [{ group: { plan_tier: "free" }, metrics: [] }] });
});

test("text evidence is never redacted", (t) => {
  const unit = buildEvidenceUnit({
    sourceSystem: "fs_corpus",
    objectId: "public/a.txt",
    versionId: "c".repeat(64),
    spec: { case: "textSpan", value: { startByte: 0n, endByte: 5n, lineStart: 1n, lineEnd: 1n } },
    content: { case: "text", value: "admin_note" },
    asOfTime,
    retrievedAt: asOfTime,
    snapshot,
  });
  t.is(redactEvidenceUnit(unit, { kind: "deny_fields", fields: ["admin_note"] }, snapshot), unit);
});
