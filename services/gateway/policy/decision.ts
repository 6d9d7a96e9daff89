/**
 * Parses a raw policy decision (the value of `data.pecr.authz.decision`, from either engine) into a
 * `PolicyDecisionResult`, as reference §2.7: `allow` must be a boolean; `cacheable` and `reason` are optional;
 * `redaction` absent, `{}` or with empty arrays means none, otherwise it is an object with `deny_fields` or
 * `allow_fields` (not both), arrays of non-empty strings, trimmed, sorted and deduplicated. Anything else is
 * a malformed decision, which fails closed: a deny with reason `invalid_policy_decision`.
 */
import type { PolicyDecisionResult } from "./policy-engine.js";

/** Reason of the deny returned for a malformed decision. */
export const INVALID_POLICY_DECISION = "invalid_policy_decision";

/** Reason used when a well-formed decision gives none. */
export const UNSPECIFIED_REASON = "unspecified";

const INVALID: PolicyDecisionResult = Object.freeze({
  allow: false,
  cacheable: false,
  reason: INVALID_POLICY_DECISION,
  redaction: undefined,
});

const DECISION_KEYS = new Set(["allow", "cacheable", "reason", "redaction"]);

/** A decision that does not have the required shape. */
class Malformed extends Error {
  override readonly name = "MalformedDecisionError";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses a decision; a malformed one is a deny with reason `invalid_policy_decision`. */
export function parseDecision(raw: unknown): PolicyDecisionResult {
  try {
    return parse(raw);
  } catch (err) {
    if (err instanceof Malformed) return INVALID;
    throw err;
  }
}

function parse(raw: unknown): PolicyDecisionResult {
  if (!isRecord(raw)) throw new Malformed();
  for (const key of Object.keys(raw)) if (!DECISION_KEYS.has(key)) throw new Malformed();
  const { allow, cacheable, reason, redaction } = raw;
  if (typeof allow !== "boolean") throw new Malformed();
  if (cacheable !== undefined && typeof cacheable !== "boolean") throw new Malformed();
  if (reason !== undefined && typeof reason !== "string") throw new Malformed();
  return {
    allow,
    cacheable: cacheable ?? false,
    reason: reason === undefined || reason === "" ? UNSPECIFIED_REASON : reason,
    redaction: parseRedaction(redaction),
  };
}

function parseRedaction(raw: unknown): PolicyDecisionResult["redaction"] {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) throw new Malformed();
  for (const key of Object.keys(raw)) if (key !== "deny_fields" && key !== "allow_fields") throw new Malformed();
  const hasDeny = "deny_fields" in raw;
  const hasAllow = "allow_fields" in raw;
  if (hasDeny && hasAllow) throw new Malformed();
  if (!hasDeny && !hasAllow) return undefined;
  const kind = hasDeny ? "deny_fields" : "allow_fields";
  const fields = parseFields(raw[kind]);
  return fields.length === 0 ? undefined : { kind, fields };
}

function parseFields(raw: unknown): string[] {
  if (!Array.isArray(raw)) throw new Malformed();
  const out = new Set<string>();
  for (const f of raw) {
    if (typeof f !== "string") throw new Malformed();
    const trimmed = f.trim();
    if (trimmed === "") throw new Malformed();
    out.add(trimmed);
  }
  // Code-unit order is deterministic and matches the reference's byte-wise sort for the ASCII field names
  // policies use.
  return [...out].sort();
}
