/**
 * JWKS fetching against a real HTTP endpoint: one fetch at startup, refresh on an unknown kid limited to once
 * per refresh interval, key rotation, and an unreachable, failing or hanging endpoint (→ Unavailable, retryable).
 */
import { Code } from "@connectrpc/connect";
import anyTest, { type TestFn } from "ava";
import type { JWTPayload } from "jose";
import { readAuthConfig } from "#core/auth/auth-config.js";
import { createAuthenticator } from "#core/auth/authenticator.js";
import { StartupError } from "#core/config/startup-error.js";
import { type ExpectedAuthError, expectAuthError } from "#core/auth/testing/expect-auth-error.js";
import { createSigningKey, jwksOf, signToken, type SigningKey } from "#core/auth/testing/signing-keys.js";
import { type JwksServer, startJwksServer } from "./support/jwks-server.js";

const ISSUER = "https://issuer.example";

interface Context {
  /** The key published at startup. */
  readonly first: SigningKey;
  /** The key the identity provider rotates to. */
  readonly second: SigningKey;
}

const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  t.context = {
    first: await createSigningKey("ES256", "key-2030-01"),
    second: await createSigningKey("EdDSA", "key-2030-02"),
  };
});

/** A JWKS server publishing `keys`, closed when the test ends. */
async function server(t: import("ava").ExecutionContext, ...keys: SigningKey[]): Promise<JwksServer> {
  const jwksServer = await startJwksServer(jwksOf(...keys));
  t.teardown(() => jwksServer.close());
  return jwksServer;
}

function authenticatorFor(jwksServer: JwksServer, env: Record<string, string> = {}) {
  return createAuthenticator(
    readAuthConfig({
      PECR_AUTH_MODE: "oidc",
      PECR_OIDC_ISSUER: ISSUER,
      PECR_OIDC_JWKS_URL: jwksServer.url.href,
      PECR_OIDC_TENANT_ID_STATIC: "acme",
      ...env,
    }),
  );
}

async function bearer(key: SigningKey, extra: JWTPayload = {}): Promise<Headers> {
  const claims = { iss: ISSUER, sub: "alice", exp: Math.floor(Date.now() / 1000) + 600, ...extra };
  return new Headers({ authorization: `Bearer ${await signToken(key, claims)}` });
}

const kidNotFound: ExpectedAuthError = {
  code: "ERR_AUTH_INVALID",
  message: "JWT kid not found in JWKS",
  status: Code.Unauthenticated,
  retryable: false,
};

const jwksUnavailable: ExpectedAuthError = {
  code: "ERR_AUTH_UNAVAILABLE",
  message: "JWKS unavailable",
  status: Code.Unavailable,
  retryable: true,
};

test("the key set is fetched once at startup and reused for every known kid", async (t) => {
  const { first } = t.context;
  const jwksServer = await server(t, first);
  const auth = await authenticatorFor(jwksServer);
  t.is(jwksServer.fetches(), 1);
  t.true(auth.ready());
  for (let i = 0; i < 5; i++) t.is((await auth.authenticate(await bearer(first))).principalId, "alice");
  t.is(jwksServer.fetches(), 1);
});

test("an unknown kid within the refresh interval is refused without refetching, even after rotation", async (t) => {
  const { first, second } = t.context;
  const jwksServer = await server(t, first);
  const auth = await authenticatorFor(jwksServer, { PECR_OIDC_JWKS_REFRESH_TTL_SECS: "300" });
  jwksServer.publish(jwksOf(first, second));
  for (let i = 0; i < 3; i++) await expectAuthError(t, auth.authenticate(await bearer(second)), kidNotFound);
  t.is(jwksServer.fetches(), 1);
});

test("once the refresh interval has passed an unknown kid refetches the set and picks up a rotated key", async (t) => {
  const { first, second } = t.context;
  const jwksServer = await server(t, first);
  // An interval of 0 means "always passed", so the test needs no waiting.
  const auth = await authenticatorFor(jwksServer, { PECR_OIDC_JWKS_REFRESH_TTL_SECS: "0" });
  jwksServer.publish(jwksOf(second));
  t.is((await auth.authenticate(await bearer(second))).principalId, "alice");
  t.is(jwksServer.fetches(), 2);
  // The retired key is gone from the refreshed set: its kid is now unknown, even after another refetch.
  await expectAuthError(t, auth.authenticate(await bearer(first)), kidNotFound);
  t.is(jwksServer.fetches(), 3);
});

test("a burst of tokens with an unknown kid shares one refetch", async (t) => {
  const { first, second } = t.context;
  const jwksServer = await server(t, first);
  const auth = await authenticatorFor(jwksServer, { PECR_OIDC_JWKS_REFRESH_TTL_SECS: "0" });
  jwksServer.publish(jwksOf(first, second));
  const headers = await bearer(second);
  const principals = await Promise.all(Array.from({ length: 8 }, () => auth.authenticate(headers)));
  t.is(principals.length, 8);
  t.is(jwksServer.fetches(), 2);
});

test("an unreachable JWKS endpoint makes unknown-kid tokens Unavailable and retryable", async (t) => {
  const { first, second } = t.context;
  const jwksServer = await server(t, first);
  const auth = await authenticatorFor(jwksServer, { PECR_OIDC_JWKS_REFRESH_TTL_SECS: "0" });
  await jwksServer.close();
  await expectAuthError(t, auth.authenticate(await bearer(second)), jwksUnavailable);
  // Keys already known keep working during the outage.
  t.is((await auth.authenticate(await bearer(first))).principalId, "alice");
  t.true(auth.ready());
});

test("a JWKS endpoint answering with an error status is Unavailable", async (t) => {
  const { first, second } = t.context;
  const jwksServer = await server(t, first);
  const auth = await authenticatorFor(jwksServer, { PECR_OIDC_JWKS_REFRESH_TTL_SECS: "0" });
  jwksServer.setMode("fail");
  await expectAuthError(t, auth.authenticate(await bearer(second)), jwksUnavailable);
  t.is(jwksServer.fetches(), 2);
});

test("a JWKS endpoint that does not answer within the timeout is Unavailable", async (t) => {
  const { first, second } = t.context;
  const jwksServer = await server(t, first);
  const auth = await authenticatorFor(jwksServer, {
    PECR_OIDC_JWKS_REFRESH_TTL_SECS: "0",
    PECR_OIDC_JWKS_TIMEOUT_MS: "100",
  });
  jwksServer.setMode("hang");
  const error = await expectAuthError(t, auth.authenticate(await bearer(second)), jwksUnavailable);
  t.is((error?.cause as Error | undefined)?.name, "JwksUnavailableError");
});

test("a service whose JWKS endpoint is down at startup does not start", async (t) => {
  const { first } = t.context;
  const jwksServer = await server(t, first);
  jwksServer.setMode("fail");
  const error = await t.throwsAsync(authenticatorFor(jwksServer), { instanceOf: StartupError });
  t.is(error?.code, "ERR_AUTH_UNAVAILABLE");
});
