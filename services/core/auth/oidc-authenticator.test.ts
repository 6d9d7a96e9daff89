import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import anyTest, { type TestFn } from "ava";
import type { JSONWebKeySet, JWTPayload } from "jose";
import { principalAttrsHash } from "#core/canonical/identities.js";
import { PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import type { OidcAuthConfig } from "./auth-config.js";
import { createOidcAuthenticator } from "./oidc-authenticator.js";
import { type ExpectedAuthError, expectAuthError } from "./testing/expect-auth-error.js";
import { createSigningKey, epochSeconds, jwksOf, signToken, type SigningKey } from "./testing/signing-keys.js";

const NOW = new Date("2030-01-01T00:00:00Z");
const ISSUER = "https://issuer.example";

interface Context {
  /** Published keys. */
  readonly rsa: SigningKey;
  readonly ec: SigningKey;
  readonly ed: SigningKey;
  /** Not published, but uses the RSA key's kid. */
  readonly stranger: SigningKey;
}

const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  t.context = {
    rsa: await createSigningKey("RS256", "rsa-1"),
    ec: await createSigningKey("ES256", "ec-1"),
    ed: await createSigningKey("EdDSA", "ed-1"),
    stranger: await createSigningKey("RS256", "rsa-1"),
  };
});

function config(jwks: JSONWebKeySet, overrides: Partial<OidcAuthConfig> = {}): OidcAuthConfig {
  return {
    mode: "oidc",
    devAllowNonlocalBind: false,
    issuer: ISSUER,
    audience: "pecr",
    jwks: { kind: "inline", jwks },
    jwksTimeoutMs: 2000,
    jwksRefreshTtlSecs: 300,
    clockSkewSecs: 60,
    principalIdClaim: "sub",
    tenant: { kind: "claim", claim: "tenant_id" },
    rolesClaim: "groups",
    abacClaims: ["dept", "level"],
    humanClaim: "pecr_human",
    ...overrides,
  };
}

function claims(extra: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: "pecr",
    sub: "alice",
    tenant_id: "acme",
    iat: epochSeconds(NOW),
    exp: epochSeconds(NOW) + 300,
    ...extra,
  };
}

async function authenticator({ rsa, ec, ed }: Context, overrides: Partial<OidcAuthConfig> = {}) {
  return createOidcAuthenticator(config(jwksOf(rsa, ec, ed), overrides), { now: () => NOW });
}

async function bearer(key: SigningKey, extra: JWTPayload = {}): Promise<Headers> {
  return new Headers({ authorization: `Bearer ${await signToken(key, claims(extra))}` });
}

const invalid = (message: string): ExpectedAuthError => ({
  code: "ERR_AUTH_INVALID",
  message,
  status: Code.Unauthenticated,
  retryable: false,
});

const ALGORITHMS = { rsa: "RS256", ec: "ES256", ed: "EdDSA" } as const;

for (const name of ["rsa", "ec", "ed"] as const) {
  test(`a valid ${ALGORITHMS[name]} token yields the principal its claims describe`, async (t) => {
    const key = t.context[name];
    const auth = await authenticator(t.context);
    const headers = await bearer(key, { groups: [" writer", "reader", "writer "], dept: "eng" });
    const principal = await auth.authenticate(headers);
    t.is(principal.principalId, "alice");
    t.is(principal.tenantId, "acme");
    t.deepEqual(principal.roles, ["reader", "writer"]);
    t.deepEqual(Object.keys(principal.attributes), ["dept"]);
    t.is(principal.kind, PrincipalKind.AGENT);
  });
}

test("roles given as a single string become a one-element role list", async (t) => {
  const { rsa } = t.context;
  const principal = await (await authenticator(t.context)).authenticate(await bearer(rsa, { groups: "auditor" }));
  t.deepEqual(principal.roles, ["auditor"]);
});

test("a token without the roles claim has no roles", async (t) => {
  const { rsa } = t.context;
  const principal = await (await authenticator(t.context)).authenticate(await bearer(rsa));
  t.deepEqual(principal.roles, []);
});

test("a roles claim with a non-string member is refused", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context);
  await expectAuthError(
    t,
    auth.authenticate(await bearer(rsa, { groups: ["reader", 7] })),
    invalid("claim `groups` must be a string or an array of strings"),
  );
});

test("ABAC claims become attributes whose hash is the principal_attrs_hash", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context);
  const principal = await auth.authenticate(await bearer(rsa, { dept: "eng", level: { n: 3, tags: ["a"] }, other: 1 }));
  t.deepEqual(Object.keys(principal.attributes).sort(), ["dept", "level"]);
  t.deepEqual(toJson(ValueSchema, principal.attributes["level"]!), { n: 3, tags: ["a"] });
  t.is(principal.principalAttrsHash, principalAttrsHash(principal.attributes));
  const bare = await auth.authenticate(await bearer(rsa));
  t.is(bare.principalAttrsHash, principalAttrsHash({}));
  t.not(bare.principalAttrsHash, principal.principalAttrsHash);
});

test("only a boolean true human claim makes the principal a human", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context);
  t.is((await auth.authenticate(await bearer(rsa, { pecr_human: true }))).kind, PrincipalKind.HUMAN);
  t.is((await auth.authenticate(await bearer(rsa, { pecr_human: "true" }))).kind, PrincipalKind.AGENT);
  const noClaimConfigured = await authenticator(t.context, { humanClaim: undefined });
  t.is((await noClaimConfigured.authenticate(await bearer(rsa, { pecr_human: true }))).kind, PrincipalKind.AGENT);
});

test("a static tenant takes precedence over the tenant claim", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context, { tenant: { kind: "static", tenantId: "fixed" } });
  t.is((await auth.authenticate(await bearer(rsa, { tenant_id: undefined }))).tenantId, "fixed");
});

test("the principal id comes from the configured claim and must be a non-empty string", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context, { principalIdClaim: "email" });
  t.is((await auth.authenticate(await bearer(rsa, { email: " a@example.org " }))).principalId, "a@example.org");
  await expectAuthError(
    t,
    auth.authenticate(await bearer(rsa, { email: 42 })),
    invalid("required claim `email` is missing or not a string"),
  );
  await expectAuthError(
    t,
    auth.authenticate(await bearer(rsa, { email: "  " })),
    invalid("required claim `email` is missing or not a string"),
  );
});

test("a request without an Authorization header needs authentication", async (t) => {
  await expectAuthError(t, (await authenticator(t.context)).authenticate(new Headers()), {
    code: "ERR_AUTH_REQUIRED",
    message: "missing Authorization header",
    status: Code.Unauthenticated,
    retryable: false,
  });
});

test("an Authorization header that is not a non-empty bearer token is invalid", async (t) => {
  const auth = await authenticator(t.context);
  for (const value of ["Basic YWxpY2U6cHc=", "Bearer", "Bearer   ", "Bearertoken", "Bearer a b", ""]) {
    const headers = new Headers({ authorization: value });
    await expectAuthError(t, auth.authenticate(headers), invalid("invalid Authorization header"));
  }
});

test("the bearer scheme is matched case-insensitively", async (t) => {
  const { rsa } = t.context;
  const token = await signToken(rsa, claims());
  const auth = await authenticator(t.context);
  const principal = await auth.authenticate(new Headers({ authorization: `bearer ${token}` }));
  t.is(principal.principalId, "alice");
});

test("a token without exp is refused", async (t) => {
  const { rsa } = t.context;
  await expectAuthError(
    t,
    (await authenticator(t.context)).authenticate(await bearer(rsa, { exp: undefined })),
    invalid("JWT validation failed"),
  );
});

test("exp and nbf are checked with the configured clock skew", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context, { clockSkewSecs: 60 });
  const now = epochSeconds(NOW);
  t.is((await auth.authenticate(await bearer(rsa, { exp: now - 30 }))).principalId, "alice");
  t.is((await auth.authenticate(await bearer(rsa, { nbf: now + 30 }))).principalId, "alice");
  await expectAuthError(t, auth.authenticate(await bearer(rsa, { exp: now - 61 })), invalid("JWT expired"));
  await expectAuthError(t, auth.authenticate(await bearer(rsa, { nbf: now + 61 })), invalid("JWT not yet valid"));
  const strict = await authenticator(t.context, { clockSkewSecs: 0 });
  await expectAuthError(t, strict.authenticate(await bearer(rsa, { exp: now - 1 })), invalid("JWT expired"));
});

test("without a configured audience any aud is accepted", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context, { audience: undefined });
  t.is((await auth.authenticate(await bearer(rsa, { aud: "someone-else" }))).principalId, "alice");
});

test("a token signed by a different key under a known kid fails validation", async (t) => {
  const { stranger } = t.context;
  await expectAuthError(
    t,
    (await authenticator(t.context)).authenticate(await bearer(stranger)),
    invalid("JWT validation failed"),
  );
});

test("a token whose kid is not in an inline JWKS is refused as an unknown kid", async (t) => {
  const other = await createSigningKey("ES256", "not-published");
  const auth = await authenticator(t.context);
  await expectAuthError(t, auth.authenticate(await bearer(other)), invalid("JWT kid not found in JWKS"));
});

test("a malformed token fails validation with the fixed message and keeps the reason as cause", async (t) => {
  const error = await expectAuthError(
    t,
    (await authenticator(t.context)).authenticate(new Headers({ authorization: "Bearer not.a.jwt" })),
    invalid("JWT validation failed"),
  );
  t.truthy(error?.cause);
});

test("the controller forwards the caller's Authorization header unchanged", async (t) => {
  const { rsa } = t.context;
  const auth = await authenticator(t.context);
  const headers = await bearer(rsa);
  t.deepEqual(auth.forwardHeaders(headers), { authorization: headers.get("authorization")! });
  t.deepEqual(auth.forwardHeaders(new Headers()), {});
});

test("an authenticator with an inline JWKS is ready at once", async (t) => {
  t.true((await authenticator(t.context)).ready());
});
