/**
 * The OIDC token matrix against keys served by a real JWKS endpoint: each token shape with its exact error
 * code, message and Connect code (issue #8).
 */
import { Code } from "@connectrpc/connect";
import anyTest, { type TestFn } from "ava";
import type { JWTPayload } from "jose";
import { readAuthConfig } from "#core/auth/auth-config.js";
import { type Authenticator, createAuthenticator } from "#core/auth/authenticator.js";
import { type ExpectedAuthError, expectAuthError } from "#core/auth/testing/expect-auth-error.js";
import {
  createSigningKey,
  epochSeconds,
  hs256SignedWithPublicKey,
  jwksOf,
  signToken,
  type SigningAlgorithm,
  type SigningKey,
  unsignedToken,
} from "#core/auth/testing/signing-keys.js";
import { PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import { type JwksServer, startJwksServer } from "./support/jwks-server.js";

const NOW = new Date("2030-06-01T12:00:00Z");
const ISSUER = "https://issuer.example";

interface Context {
  readonly keys: Readonly<Record<SigningAlgorithm, SigningKey>>;
  readonly unpublished: SigningKey;
  readonly jwksServer: JwksServer;
  readonly auth: Authenticator;
}

const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  const keys = {
    RS256: await createSigningKey("RS256", "rsa-kid"),
    ES256: await createSigningKey("ES256", "ec-kid"),
    EdDSA: await createSigningKey("EdDSA", "ed-kid"),
  };
  const jwksServer = await startJwksServer(jwksOf(keys.RS256, keys.ES256, keys.EdDSA));
  const auth = await createAuthenticator(
    readAuthConfig({
      PECR_AUTH_MODE: "oidc",
      PECR_OIDC_ISSUER: ISSUER,
      PECR_OIDC_AUDIENCE: "pecr",
      PECR_OIDC_JWKS_URL: jwksServer.url.href,
      PECR_OIDC_TENANT_CLAIM: "tenant_id",
      PECR_OIDC_ROLES_CLAIM: "groups",
      PECR_OIDC_ABAC_CLAIMS: "dept",
      PECR_OIDC_HUMAN_CLAIM: "pecr_human",
    }),
    { now: () => NOW },
  );
  t.context = { keys, unpublished: await createSigningKey("RS256", "unpublished-kid"), jwksServer, auth };
});

test.after.always((t) => t.context.jwksServer?.close());

function claims(extra: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: "pecr", sub: "alice", tenant_id: "acme", exp: epochSeconds(NOW) + 600, ...extra };
}

const withToken = (token: string) => new Headers({ authorization: `Bearer ${token}` });
const signed = async (key: SigningKey, extra: JWTPayload = {}) => withToken(await signToken(key, claims(extra)));
const authInvalid = (message: string): ExpectedAuthError => ({
  code: "ERR_AUTH_INVALID",
  message,
  status: Code.Unauthenticated,
  retryable: false,
});

for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
  test(`a valid ${alg} token authenticates with its claims`, async (t) => {
  const { auth, keys } = t.context;
    const key = keys[alg];
    const principal = await auth.authenticate(await signed(key, { groups: ["b", "a"], dept: "eng", pecr_human: true }));
    t.like(principal, { principalId: "alice", tenantId: "acme", roles: ["a", "b"], kind: PrincipalKind.HUMAN });
    t.deepEqual(Object.keys(principal.attributes), ["dept"]);
  });
}

test("an expired token is refused as expired", async (t) => {
  const { auth, keys } = t.context;
  await expectAuthError(
    t,
    auth.authenticate(await signed(keys.RS256, { exp: epochSeconds(NOW) - 61 })),
    authInvalid("JWT expired"),
  );
});

test("a token that is not yet valid is refused as not yet valid", async (t) => {
  const { auth, keys } = t.context;
  await expectAuthError(
    t,
    auth.authenticate(await signed(keys.ES256, { nbf: epochSeconds(NOW) + 61 })),
    authInvalid("JWT not yet valid"),
  );
});

test("a token from another issuer fails validation", async (t) => {
  const { auth, keys } = t.context;
  await expectAuthError(
    t,
    auth.authenticate(await signed(keys.RS256, { iss: "https://evil.example" })),
    authInvalid("JWT validation failed"),
  );
});

test("a token for another audience fails validation", async (t) => {
  const { auth, keys } = t.context;
  await expectAuthError(
    t,
    auth.authenticate(await signed(keys.EdDSA, { aud: "another-service" })),
    authInvalid("JWT validation failed"),
  );
  await expectAuthError(
    t,
    auth.authenticate(await signed(keys.EdDSA, { aud: undefined })),
    authInvalid("JWT validation failed"),
  );
});

test("an unsigned token (alg none) is refused as an unsupported alg", async (t) => {
  const { auth } = t.context;
  await expectAuthError(t, auth.authenticate(withToken(unsignedToken(claims()))), authInvalid("unsupported JWT alg"));
});

test("an HS256 token keyed with the public key is refused as an unsupported alg", async (t) => {
  const { auth, keys } = t.context;
  const token = await hs256SignedWithPublicKey(keys.RS256, claims());
  await expectAuthError(t, auth.authenticate(withToken(token)), authInvalid("unsupported JWT alg"));
});

test("a token whose kid is unknown within the refresh interval is refused without refetching", async (t) => {
  const { auth, unpublished, jwksServer } = t.context;
  const before = jwksServer.fetches();
  await expectAuthError(t, auth.authenticate(await signed(unpublished)), authInvalid("JWT kid not found in JWKS"));
  t.is(jwksServer.fetches(), before);
});

test("a token without the tenant claim is refused", async (t) => {
  const { auth, keys } = t.context;
  await expectAuthError(
    t,
    auth.authenticate(await signed(keys.RS256, { tenant_id: undefined })),
    authInvalid("required claim `tenant_id` is missing or not a string"),
  );
});

test("roles given as a string become one role", async (t) => {
  const { auth, keys } = t.context;
  t.deepEqual((await auth.authenticate(await signed(keys.RS256, { groups: "auditor" }))).roles, ["auditor"]);
});

test("roles given as an array are trimmed, sorted and de-duplicated", async (t) => {
  const { auth, keys } = t.context;
  const principal = await auth.authenticate(await signed(keys.RS256, { groups: ["writer", " reader ", "writer"] }));
  t.deepEqual(principal.roles, ["reader", "writer"]);
});

test("identical bad tokens produce identical errors", async (t) => {
  const { auth, keys } = t.context;
  const headers = await signed(keys.RS256, { iss: "https://evil.example" });
  const [first, second] = await Promise.all([
    t.throwsAsync(auth.authenticate(headers)),
    t.throwsAsync(auth.authenticate(headers)),
  ]);
  t.is(first?.message, second?.message);
});

test("the JWKS was fetched once, at startup, for the whole matrix", async (t) => {
  const { auth, keys, jwksServer } = t.context;
  await auth.authenticate(await signed(keys.RS256));
  t.is(jwksServer.fetches(), 1);
  t.true(auth.ready());
});
