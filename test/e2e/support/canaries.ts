/**
 * The fixtures' secrets (reference §7.1): canaries planted in documents and rows, and document lines, that must
 * never reach a caller who may not read them, nor any log line or metric. Also who may legitimately read each
 * one under opa/bundle/policy.rego, so leak tests can prove both that nothing leaks and that the reads they make
 * actually reach the data (a test that sees no canary anywhere proves nothing).
 */

/** A planted secret and the principals allowed to read it. */
export interface Canary {
  /** The text. */
  readonly value: string;
  /** Where it lives (for failure messages). */
  readonly source: string;
  /** Principals who may read it. */
  readonly readers: readonly string[];
}

/** restricted/restricted_1.txt */
export const CANARY_RESTRICTED_ALPHA = "PECR_CANARY_RESTRICTED_ALPHA_6b3b91c2a7b44a9f";
/** restricted/incident_2026_01.txt */
export const CANARY_RESTRICTED_GAMMA = "PECR_CANARY_RESTRICTED_GAMMA_4c1f0a9e7d2b4e61";
/** injection/injection_1.txt */
export const CANARY_INJECTION_BETA = "PECR_CANARY_INJECTION_BETA_29a1e0d7a03d4d8c";
/** admin_note of cust_public_1 */
export const CANARY_PG_ADMIN_1 = "PECR_CANARY_PG_ADMIN_DELTA_1f2d8c6f87f84b76";
/** admin_note of cust_restricted_1 */
export const CANARY_PG_ADMIN_2 = "PECR_CANARY_PG_ADMIN_DELTA_2a519d6b7f4348d4";
/** support_note of cust_public_1 */
export const CANARY_PG_SUPPORT_1 = "PECR_CANARY_PG_SUPPORT_EPSILON_6c6f4f07c04f4f8f";
/** support_note of cust_restricted_1 */
export const CANARY_PG_SUPPORT_2 = "PECR_CANARY_PG_SUPPORT_EPSILON_8d77b9a9d9e24c2b";
/** Every column of another tenant's row. */
export const CANARY_PG_TENANT = "PECR_CANARY_PG_TENANT_ZETA_5e0b7c2d9a1f4836";

/** Every canary with its readers (dev reads all; analyst all but admin notes; support public/, injection/ and the support view). */
export const CANARIES: readonly Canary[] = [
  { value: CANARY_RESTRICTED_ALPHA, source: "restricted/restricted_1.txt", readers: ["dev", "analyst"] },
  { value: CANARY_RESTRICTED_GAMMA, source: "restricted/incident_2026_01.txt", readers: ["dev", "analyst"] },
  { value: CANARY_INJECTION_BETA, source: "injection/injection_1.txt", readers: ["dev", "analyst", "support"] },
  { value: CANARY_PG_ADMIN_1, source: "admin_note", readers: ["dev"] },
  { value: CANARY_PG_ADMIN_2, source: "admin_note", readers: ["dev"] },
  { value: CANARY_PG_SUPPORT_1, source: "support_note", readers: ["dev", "analyst", "support"] },
  { value: CANARY_PG_SUPPORT_2, source: "support_note", readers: ["dev", "analyst", "support"] },
  { value: CANARY_PG_TENANT, source: "tenant acme", readers: [] },
];

/** Document text that must never reach logs or metrics. */
export const SECRET_DOCUMENT_LINES: readonly string[] = [
  "Restricted fixture document (restricted_1).",
  "Injection fixture document (injection_1).",
  "Restricted incident report (incident_2026_01).",
];

/** Everything that must never appear in telemetry. */
export const TELEMETRY_SECRETS: readonly string[] = [...CANARIES.map((canary) => canary.value), ...SECRET_DOCUMENT_LINES];

/** The needles found in `haystack`. */
export function found(haystack: string, needles: readonly string[]): string[] {
  return needles.filter((needle) => haystack.includes(needle));
}

/** JSON of any value with bigints as strings (responses carry uint64 fields). */
export function jsonOf(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item));
}
