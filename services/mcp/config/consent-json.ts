/**
 * `PECR_MCP_CONSENT_JSON`: the principal's consented data scopes for mcp-006, as JSON
 * `{"allowed_scopes": ["fs:public/", "view:safe_customer_view_public"], "approval_scopes": ["fs:restricted/"]}`.
 * Scopes are resource prefixes (`fs:<object path prefix>`, `view:<view id prefix>`); a resource inside an approval
 * scope needs a human's approval per call even when an allowed scope covers it too. Unknown keys are refused, so a
 * misspelt key cannot silently widen or narrow consent.
 */
import { StartupError } from "#core/config/startup-error.js";
import type { ConsentScopes } from "../rules/enforcement-types.js";

const SCOPE = /^(?:fs|view):[^\s\\]*$/;

function scopes(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === "string" && SCOPE.test(item))) {
    throw new StartupError("ERR_INVALID_CONFIG", `PECR_MCP_CONSENT_JSON ${key} must be a list of fs:... or view:... scopes`);
  }
  return [...new Set(value)].sort();
}

/** Parses the consent JSON; no JSON means no consent at all (every data access is outside consent). */
export function parseConsentJson(text: string | undefined): ConsentScopes {
  if (text === undefined) return { allowed: [], approval: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_MCP_CONSENT_JSON is not valid JSON", { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_MCP_CONSENT_JSON must be a JSON object");
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => key !== "allowed_scopes" && key !== "approval_scopes");
  if (unknown.length > 0) throw new StartupError("ERR_INVALID_CONFIG", "PECR_MCP_CONSENT_JSON has keys other than allowed_scopes and approval_scopes");
  return { allowed: scopes(record.allowed_scopes, "allowed_scopes"), approval: scopes(record.approval_scopes, "approval_scopes") };
}
