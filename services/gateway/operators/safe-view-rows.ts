/**
 * Shared pieces of the safe-view operators: object ids of rows, row snapshots as stored versions, the
 * allowlist limits, and applying the policy's redaction to JSON evidence.
 */
import { fromBinary, type JsonObject } from "@bufbuild/protobuf";
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import { ContentIdentitySchema } from "#gen/pecr/v1/identity_pb.js";
import { redactEvidenceUnit } from "../evidence/redaction.js";
import type { FilterPairs, SafeViewLimits } from "../adapters/pg-safeview/safe-view-params.js";
import type { SafeViewRow } from "../adapters/pg-safeview/safe-view-runner.js";
import type { SafeViewSpec } from "../adapters/pg-safeview/view-specs.js";
import type { ExecuteContext } from "./operator-definition.js";

/** The source system of safe views. */
export const PG_SAFEVIEW = "pg_safeview";

/** The allowlist limits from configuration. */
export function safeViewLimits(context: ExecuteContext): SafeViewLimits {
  const { config } = context.deps;
  return { maxRows: config.pgSafeViewMaxRows, maxFields: config.pgSafeViewMaxFields, maxGroups: config.pgSafeViewMaxGroups };
}

/** A row's object id: the view and its primary-key values (`view:tenant:customer`). */
export function rowObjectId(spec: SafeViewSpec, keyValues: readonly string[]): string {
  return [spec.viewId, ...keyValues].join(":");
}

/** The primary-key values of a row, in key order. */
export function rowKey(spec: SafeViewSpec, row: SafeViewRow): string[] {
  return spec.primaryKey.map((field) => row[field] ?? "");
}

/** Decodes a stored row version (the canonical bytes of `ContentIdentity{json}`). */
export function decodeRowSnapshot(bytes: Uint8Array): SafeViewRow | undefined {
  const content = fromBinary(ContentIdentitySchema, bytes).content;
  if (content.case !== "json") return undefined;
  const row: SafeViewRow = {};
  for (const [field, value] of Object.entries(content.value)) row[field] = typeof value === "string" ? value : null;
  return row;
}

/** A row snapshot as a JSON object. */
export function rowJson(row: SafeViewRow, fields: readonly string[]): JsonObject {
  const json: JsonObject = {};
  for (const field of fields) json[field] = row[field] ?? null;
  return json;
}

/** Whether a row satisfies every equality of the filter. */
export function matchesFilter(row: SafeViewRow, filter: FilterPairs): boolean {
  return filter.every(([field, value]) => row[field] === value);
}

/** Applies the decision's redaction (if any) to JSON units; ids are recomputed for changed units. */
export function applyRedaction(context: ExecuteContext, units: EvidenceUnit[]): EvidenceUnit[] {
  const redaction = context.decision.redaction;
  if (redaction === undefined) return units;
  return units.map((unit) => redactEvidenceUnit(unit, redaction, context.snapshot));
}
