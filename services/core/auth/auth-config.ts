/**
 * `readAuthConfig(env)`: the authentication settings shared by the gateway and the controller (reference §6),
 * parsed once at startup. OIDC variables are read only in oidc mode.
 */
import type { JSONWebKeySet } from "jose";
import { normaliseNameList } from "#core/canonical/canonical-text.js";
import { type ConfigReader, createConfigReader } from "#core/config/config-reader.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { StartupError } from "#core/config/startup-error.js";

/** How callers authenticate. */
export type AuthMode = "local" | "oidc";

/** Settings both modes share. */
interface AuthConfigBase {
  /** `PECR_DEV_ALLOW_NONLOCAL_BIND`: the development override of the non-local bind refusal. */
  readonly devAllowNonlocalBind: boolean;
}

/** Local mode: the caller states its principal id, optionally proving knowledge of a shared secret. */
export interface LocalAuthConfig extends AuthConfigBase {
  /** Mode tag. */
  readonly mode: "local";
  /** `PECR_LOCAL_AUTH_SHARED_SECRET` (trimmed; blank means none). */
  readonly sharedSecret: string | undefined;
  /** `PECR_LOCAL_HUMAN_PRINCIPALS`: principal ids treated as humans; everyone else is an agent. */
  readonly humanPrincipals: readonly string[];
}

/** Where verification keys come from. */
export type JwksSource =
  | { readonly kind: "inline"; readonly jwks: JSONWebKeySet }
  | { readonly kind: "url"; readonly url: URL };

/** Where the tenant comes from. */
export type TenantSource =
  | { readonly kind: "static"; readonly tenantId: string }
  | { readonly kind: "claim"; readonly claim: string };

/** OIDC mode: callers present a JWT signed by the configured issuer. */
export interface OidcAuthConfig extends AuthConfigBase {
  /** Mode tag. */
  readonly mode: "oidc";
  /** `PECR_OIDC_ISSUER`: required `iss`. */
  readonly issuer: string;
  /** `PECR_OIDC_AUDIENCE`: required `aud` member, when set. */
  readonly audience: string | undefined;
  /** `PECR_OIDC_JWKS_JSON` (takes precedence) or `PECR_OIDC_JWKS_URL`. */
  readonly jwks: JwksSource;
  /** `PECR_OIDC_JWKS_TIMEOUT_MS` (2000): timeout of one JWKS fetch. */
  readonly jwksTimeoutMs: number;
  /** `PECR_OIDC_JWKS_REFRESH_TTL_SECS` (300): an unknown `kid` refetches the JWKS at most this often. */
  readonly jwksRefreshTtlSecs: number;
  /** `PECR_OIDC_CLOCK_SKEW_SECS` (60): tolerance for `exp` and `nbf`. */
  readonly clockSkewSecs: number;
  /** `PECR_OIDC_PRINCIPAL_ID_CLAIM` (`sub`). */
  readonly principalIdClaim: string;
  /** `PECR_OIDC_TENANT_ID_STATIC` (takes precedence) or `PECR_OIDC_TENANT_CLAIM`. */
  readonly tenant: TenantSource;
  /** `PECR_OIDC_ROLES_CLAIM`: a string or an array of strings; no roles when unset. */
  readonly rolesClaim: string | undefined;
  /** `PECR_OIDC_ABAC_CLAIMS`: claims copied into the principal's attributes (sorted, de-duplicated). */
  readonly abacClaims: readonly string[];
  /** `PECR_OIDC_HUMAN_CLAIM`: a boolean claim marking human callers; everyone is an agent when unset. */
  readonly humanClaim: string | undefined;
}

/** The parsed authentication settings. */
export type AuthConfig = LocalAuthConfig | OidcAuthConfig;

/**
 * Reads the authentication settings from the configuration source (environment merged over the config file);
 * throws `StartupError` ERR_INVALID_CONFIG / ERR_MISSING_CONFIG.
 */
export function readAuthConfig(source: ConfigSource): AuthConfig {
  const config = createConfigReader(source);
  const mode = config.oneOf<AuthMode>("PECR_AUTH_MODE", ["local", "oidc"], "local");
  const devAllowNonlocalBind = config.boolean("PECR_DEV_ALLOW_NONLOCAL_BIND", false);
  if (mode === "oidc") return readOidcConfig(config, devAllowNonlocalBind);
  return {
    mode,
    devAllowNonlocalBind,
    sharedSecret: config.optionalString("PECR_LOCAL_AUTH_SHARED_SECRET"),
    humanPrincipals: readList(config, "PECR_LOCAL_HUMAN_PRINCIPALS"),
  };
}

function readOidcConfig(config: ConfigReader, devAllowNonlocalBind: boolean): OidcAuthConfig {
  return {
    mode: "oidc",
    devAllowNonlocalBind,
    issuer: config.requiredString("PECR_OIDC_ISSUER"),
    audience: config.optionalString("PECR_OIDC_AUDIENCE"),
    jwks: readJwksSource(config),
    jwksTimeoutMs: config.integer("PECR_OIDC_JWKS_TIMEOUT_MS", 2000, { min: 1 }),
    // Fractions are allowed so tests can use sub-second intervals.
    jwksRefreshTtlSecs: config.number("PECR_OIDC_JWKS_REFRESH_TTL_SECS", 300, { min: 0 }),
    clockSkewSecs: config.integer("PECR_OIDC_CLOCK_SKEW_SECS", 60, { min: 0 }),
    principalIdClaim: config.string("PECR_OIDC_PRINCIPAL_ID_CLAIM", "sub"),
    tenant: readTenantSource(config),
    rolesClaim: config.optionalString("PECR_OIDC_ROLES_CLAIM"),
    abacClaims: readList(config, "PECR_OIDC_ABAC_CLAIMS"),
    humanClaim: config.optionalString("PECR_OIDC_HUMAN_CLAIM"),
  };
}

/** A comma-separated list: entries trimmed, blanks dropped, sorted and de-duplicated. */
function readList(config: ConfigReader, key: string): string[] {
  return normaliseNameList(config.optionalString(key)?.split(",") ?? []);
}

function readTenantSource(config: ConfigReader): TenantSource {
  const tenantId = config.optionalString("PECR_OIDC_TENANT_ID_STATIC");
  if (tenantId !== undefined) return { kind: "static", tenantId };
  const claim = config.optionalString("PECR_OIDC_TENANT_CLAIM");
  if (claim !== undefined) return { kind: "claim", claim };
  throw new StartupError(
    "ERR_MISSING_CONFIG",
    "PECR_OIDC_TENANT_ID_STATIC or PECR_OIDC_TENANT_CLAIM is required in oidc mode",
  );
}

function readJwksSource(config: ConfigReader): JwksSource {
  const json = config.optionalString("PECR_OIDC_JWKS_JSON");
  if (json !== undefined) return { kind: "inline", jwks: parseInlineJwks(json) };
  const url = config.optionalString("PECR_OIDC_JWKS_URL");
  if (url === undefined) {
    throw new StartupError("ERR_MISSING_CONFIG", "PECR_OIDC_JWKS_URL or PECR_OIDC_JWKS_JSON is required in oidc mode");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_OIDC_JWKS_URL is not a valid URL", { cause });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_OIDC_JWKS_URL must be an http(s) URL");
  }
  return { kind: "url", url: parsed };
}

function parseInlineJwks(json: string): JSONWebKeySet {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_OIDC_JWKS_JSON is not valid JSON", { cause });
  }
  const keys = typeof value === "object" && value !== null ? (value as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === "object" && key !== null)) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_OIDC_JWKS_JSON is not a JWK set ({\"keys\": [...]})");
  }
  // A private or symmetric key in a verification key set is a leaked secret, not a usable key: refuse to start.
  if (keys.some((key: { d?: unknown; kty?: unknown; k?: unknown }) => key.d !== undefined || key.kty === "oct")) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_OIDC_JWKS_JSON must contain public keys only");
  }
  return value as JSONWebKeySet;
}
