/**
 * Scans tool arguments for fields the MCP server owns itself: identity and credentials (mcp-004) and privilege or
 * budget requests (mcp-002). Keys are compared after normalisation (lower case, letters and digits only), so
 * `principalId`, `principal_id` and `Principal-ID` are one key, at any depth of the arguments, including map keys:
 * no tool has a legitimate argument or filter column with these names.
 */
import type { JsonValue } from "@bufbuild/protobuf";

/** Why a field is refused, per rule. */
export type FlaggedField =
  | { readonly rule: "identity"; readonly reasonCode: "identity_field_in_arguments" | "credential_in_arguments"; readonly path: string }
  | {
      readonly rule: "escalation";
      readonly reasonCode: "role_requested" | "principal_switch_requested" | "budget_requested";
      readonly path: string;
    };

/** mcp-004: keys naming an identity, a credential or an authorization. */
const IDENTITY_KEYS = new Set([
  "principal",
  "principalid",
  "principalkind",
  "actor",
  "identity",
  "authorization",
  "authheader",
  "bearer",
  "token",
  "accesstoken",
  "idtoken",
  "sessiontoken",
  "xpecrprincipalid",
  "xpecrlocalauthsecret",
  "xpecrsessiontoken",
  "apikey",
  "secret",
  "password",
  "credential",
  "credentials",
  "signature",
  "cookie",
]);

/** mcp-002: keys asking for roles or permissions. */
const ROLE_KEYS = new Set(["role", "roles", "permission", "permissions", "privilege", "privileges", "grant", "grants", "scopes", "sudo", "elevate", "escalate"]);

/** mcp-002: keys asking to act as someone else. */
const SWITCH_KEYS = new Set(["runas", "asprincipal", "asuser", "onbehalfof", "impersonate", "impersonateuser", "delegate", "actas"]);

/** A credential-shaped value: a whole HTTP bearer credential, or a compact JWS/JWT anywhere in the text. */
const CREDENTIAL_VALUE = /^\s*bearer\s+[A-Za-z0-9._~+/=-]{16,}\s*$|eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\./i;

/** Normalises a key for comparison. */
export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * Returns every flagged field of `args` (depth-first, in key order). `budgetAllowed` says whether the tool takes a
 * `budget` argument (ask): elsewhere asking for a budget is a self-escalation in itself.
 */
export function scanArguments(args: JsonValue | undefined, budgetAllowed: boolean): FlaggedField[] {
  const flagged: FlaggedField[] = [];
  const visit = (value: JsonValue | undefined, path: string, depth: number) => {
    if (depth > 32) return;
    if (typeof value === "string") {
      if (CREDENTIAL_VALUE.test(value)) flagged.push({ rule: "identity", reasonCode: "credential_in_arguments", path });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${path}[${index}]`, depth + 1));
      return;
    }
    if (value === null || typeof value !== "object") return;
    for (const key of Object.keys(value).sort()) {
      const child = `${path}.${key}`;
      const normal = normaliseKey(key);
      if (IDENTITY_KEYS.has(normal)) flagged.push({ rule: "identity", reasonCode: "identity_field_in_arguments", path: child });
      else if (ROLE_KEYS.has(normal)) flagged.push({ rule: "escalation", reasonCode: "role_requested", path: child });
      else if (SWITCH_KEYS.has(normal)) flagged.push({ rule: "escalation", reasonCode: "principal_switch_requested", path: child });
      else if (normal === "budget" && !(budgetAllowed && depth === 0)) {
        flagged.push({ rule: "escalation", reasonCode: "budget_requested", path: child });
      } else visit(value[key], child, depth + 1);
    }
  };
  visit(args, "$", 0);
  return flagged;
}

/** A deep copy of `args` without the flagged fields (so the arguments' shape is judged on the rest). */
export function withoutFlagged(args: JsonValue | undefined, flagged: readonly FlaggedField[]): JsonValue | undefined {
  const drop = new Set(flagged.map((field) => field.path));
  const copy = (value: JsonValue | undefined, path: string): JsonValue | undefined => {
    if (Array.isArray(value)) return value.map((item, index) => copy(item, `${path}[${index}]`) ?? null);
    if (value === null || typeof value !== "object") return value;
    const out: { [key: string]: JsonValue } = {};
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}.${key}`;
      if (drop.has(childPath)) continue;
      const copied = copy(child, childPath);
      if (copied !== undefined) out[key] = copied;
    }
    return out;
  };
  return copy(args, "$");
}
