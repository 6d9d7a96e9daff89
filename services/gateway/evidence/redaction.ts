/**
 * Field redaction decided by policy (reference §2.7): a deny list or an allow list of field names, applied to
 * JSON evidence. A changed unit gets new content, a new content hash, its row spec's fields filtered, a
 * `redaction` transform step and a new id; an unchanged unit keeps its id. Text evidence is never redacted.
 */
import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import {
  type EvidenceUnit,
  EvidenceUnitSchema,
  RedactionDirectiveSchema,
  SpanOrRowSpecSchema,
  TransformStepSchema,
} from "#gen/pecr/v1/evidence_pb.js";
import { contentHash, evidenceUnitId, transformHash } from "#core/canonical/identities.js";
import type { SnapshotRef } from "./evidence-builder.js";

/** A parsed redaction directive (fields trimmed, sorted, de-duplicated, non-empty). */
export interface Redaction {
  /** Whether the list names fields to remove or the only fields to keep. */
  readonly kind: "deny_fields" | "allow_fields";
  /** The field names. */
  readonly fields: readonly string[];
}

/** Whether a field survives the directive. */
export function keepsField(redaction: Redaction, field: string): boolean {
  return redaction.kind === "deny_fields" ? !redaction.fields.includes(field) : redaction.fields.includes(field);
}

/** Filters object keys at every depth; arrays are mapped element-wise. */
export function redactJson(value: JsonValue, redaction: Redaction): JsonValue {
  if (Array.isArray(value)) return value.map((item) => redactJson(item, redaction));
  if (value === null || typeof value !== "object") return value;
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (keepsField(redaction, key)) result[key] = redactJson(item, redaction);
  }
  return result;
}

/**
 * Redacts aggregate content `{rows: [{group, metrics}]}` by data field, not by structure: group keys are
 * filtered, and metrics over a removed field are dropped. (A recursive filter over the whole document would
 * strip the structural keys `rows`, `group` and `metrics` under an allow list.)
 */
function redactAggregate(content: JsonObject, redaction: Redaction): JsonObject {
  const rows = Array.isArray(content.rows) ? content.rows : [];
  return {
    ...content,
    rows: rows.map((row) => {
      if (row === null || typeof row !== "object" || Array.isArray(row)) return row;
      const group = row.group;
      const metrics = Array.isArray(row.metrics) ? row.metrics : [];
      return {
        ...row,
        group: group !== null && typeof group === "object" && !Array.isArray(group) ? (redactJson(group, redaction) as JsonObject) : group ?? null,
        metrics: metrics.filter(
          (metric) =>
            metric === null || typeof metric !== "object" || Array.isArray(metric) || typeof metric.field !== "string" || keepsField(redaction, metric.field),
        ),
      };
    }),
  };
}

/**
 * Applies a directive to one unit. Returns the same unit object when nothing changes (its id stays valid), or
 * a new unit with a `redaction` transform step and a recomputed id.
 */
export function redactEvidenceUnit(unit: EvidenceUnit, redaction: Redaction, snapshot: SnapshotRef): EvidenceUnit {
  if (unit.content.case !== "json") return unit;
  const spec = unit.spanOrRowSpec?.spec;
  const before = unit.content.value as JsonObject;
  const after = spec?.case === "dbAggregate" ? redactAggregate(before, redaction) : (redactJson(before, redaction) as JsonObject);
  const newHash = contentHash({ case: "json", value: after });
  if (newHash === unit.contentHash) return unit;

  const directive = create(RedactionDirectiveSchema, {
    denyFields: redaction.kind === "deny_fields" ? [...redaction.fields] : [],
    allowFields: redaction.kind === "allow_fields" ? [...redaction.fields] : [],
  });
  const step = create(TransformStepSchema, {
    transformType: "redaction",
    transformHash: transformHash("redaction", { case: "redaction", value: directive }),
    params: { case: "redaction", value: directive },
  });
  const redacted = create(EvidenceUnitSchema, {
    ...unit,
    content: { case: "json", value: after },
    contentHash: newHash,
    policySnapshotId: snapshot.id,
    policySnapshotHash: snapshot.hash,
    transformChain: [...unit.transformChain, step],
  });
  if (spec?.case === "dbRow") {
    const fields = spec.value.fields.filter((field) => keepsField(redaction, field));
    redacted.spanOrRowSpec = create(SpanOrRowSpecSchema, { spec: { case: "dbRow", value: { ...spec.value, fields } } });
  }
  redacted.evidenceUnitId = evidenceUnitId(redacted);
  return redacted;
}
