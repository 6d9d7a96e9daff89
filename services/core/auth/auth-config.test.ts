import test from "ava";
import { readAuthConfig } from "./auth-config.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { StartupError } from "#core/config/startup-error.js";

const OIDC_BASE = {
  PECR_AUTH_MODE: "oidc",
  PECR_OIDC_ISSUER: "https://issuer.example",
  PECR_OIDC_JWKS_URL: "https://issuer.example/jwks.json",
  PECR_OIDC_TENANT_CLAIM: "tenant_id",
};

function startupCode(t: import("ava").ExecutionContext, env: ConfigSource): string | undefined {
  return t.throws(() => readAuthConfig(env), { instanceOf: StartupError })?.code;
}

test("local mode is the default and a blank secret counts as none", (t) => {
  t.deepEqual(readAuthConfig({ PECR_LOCAL_AUTH_SHARED_SECRET: "   " }), {
    mode: "local",
    devAllowNonlocalBind: false,
    sharedSecret: undefined,
    humanPrincipals: [],
  });
});

test("local mode reads the trimmed secret, the human principals and the bind override", (t) => {
  t.deepEqual(
    readAuthConfig({
      PECR_AUTH_MODE: "local",
      PECR_LOCAL_AUTH_SHARED_SECRET: " s3cret ",
      PECR_LOCAL_HUMAN_PRINCIPALS: "bob, alice,,bob",
      PECR_DEV_ALLOW_NONLOCAL_BIND: "yes",
    }),
    { mode: "local", devAllowNonlocalBind: true, sharedSecret: "s3cret", humanPrincipals: ["alice", "bob"] },
  );
});

test("an unknown auth mode or an unrecognised bind override is invalid config", (t) => {
  t.is(startupCode(t, { PECR_AUTH_MODE: "none" }), "ERR_INVALID_CONFIG");
  t.is(startupCode(t, { PECR_DEV_ALLOW_NONLOCAL_BIND: "maybe" }), "ERR_INVALID_CONFIG");
});

test("oidc mode applies the documented defaults", (t) => {
  const config = readAuthConfig(OIDC_BASE);
  t.like(config, {
    mode: "oidc",
    issuer: "https://issuer.example",
    audience: undefined,
    jwksTimeoutMs: 2000,
    jwksRefreshTtlSecs: 300,
    clockSkewSecs: 60,
    principalIdClaim: "sub",
    tenant: { kind: "claim", claim: "tenant_id" },
    rolesClaim: undefined,
    abacClaims: [],
    humanClaim: undefined,
  });
  const jwksUrl = config.mode === "oidc" && config.jwks.kind === "url" ? config.jwks.url.href : undefined;
  t.is(jwksUrl, "https://issuer.example/jwks.json");
});

test("oidc mode reads every variable", (t) => {
  const config = readAuthConfig({
    ...OIDC_BASE,
    PECR_OIDC_AUDIENCE: "pecr",
    PECR_OIDC_JWKS_TIMEOUT_MS: "500",
    PECR_OIDC_JWKS_REFRESH_TTL_SECS: "0.25",
    PECR_OIDC_CLOCK_SKEW_SECS: "0",
    PECR_OIDC_PRINCIPAL_ID_CLAIM: "email",
    PECR_OIDC_TENANT_ID_STATIC: "acme",
    PECR_OIDC_ROLES_CLAIM: "groups",
    PECR_OIDC_ABAC_CLAIMS: " level,dept ,dept",
    PECR_OIDC_HUMAN_CLAIM: "pecr_human",
  });
  t.like(config, {
    audience: "pecr",
    jwksTimeoutMs: 500,
    jwksRefreshTtlSecs: 0.25,
    clockSkewSecs: 0,
    principalIdClaim: "email",
    tenant: { kind: "static", tenantId: "acme" },
    rolesClaim: "groups",
    abacClaims: ["dept", "level"],
    humanClaim: "pecr_human",
  });
});

test("an inline JWKS takes precedence over the JWKS URL", (t) => {
  const jwks = { keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }] };
  const config = readAuthConfig({ ...OIDC_BASE, PECR_OIDC_JWKS_JSON: JSON.stringify(jwks) });
  t.deepEqual(config.mode === "oidc" ? config.jwks : undefined, { kind: "inline", jwks });
});

test("an inline JWKS that is not JSON, not a key set, or holds private or symmetric keys is invalid config", (t) => {
  for (const json of [
    "{not json",
    '{"keys": "x"}',
    "[1]",
    '{"keys": [1]}',
    '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}',
    '{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}]}',
  ]) {
    t.is(startupCode(t, { ...OIDC_BASE, PECR_OIDC_JWKS_JSON: json }), "ERR_INVALID_CONFIG", json);
  }
});

test("missing issuer, key source or tenant source is missing config", (t) => {
  const { PECR_OIDC_ISSUER: _i, ...noIssuer } = OIDC_BASE;
  const { PECR_OIDC_JWKS_URL: _u, ...noKeys } = OIDC_BASE;
  const { PECR_OIDC_TENANT_CLAIM: _c, ...noTenant } = OIDC_BASE;
  for (const env of [noIssuer, noKeys, noTenant]) t.is(startupCode(t, env), "ERR_MISSING_CONFIG");
});

test("malformed numbers and URLs are invalid config", (t) => {
  for (const extra of [
    { PECR_OIDC_JWKS_TIMEOUT_MS: "fast" },
    { PECR_OIDC_JWKS_TIMEOUT_MS: "0" },
    { PECR_OIDC_JWKS_TIMEOUT_MS: "1.5" },
    { PECR_OIDC_JWKS_REFRESH_TTL_SECS: "-1" },
    { PECR_OIDC_CLOCK_SKEW_SECS: "NaN" },
    { PECR_OIDC_JWKS_URL: "not a url" },
    { PECR_OIDC_JWKS_URL: "file:///etc/jwks.json" },
  ]) {
    t.is(startupCode(t, { ...OIDC_BASE, ...extra }), "ERR_INVALID_CONFIG", JSON.stringify(extra));
  }
});

test("blank numeric values fall back to the defaults", (t) => {
  t.like(readAuthConfig({ ...OIDC_BASE, PECR_OIDC_CLOCK_SKEW_SECS: "", PECR_OIDC_JWKS_TIMEOUT_MS: " " }), {
    clockSkewSecs: 60,
    jwksTimeoutMs: 2000,
  });
});
