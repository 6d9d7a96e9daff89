import { Code } from "@connectrpc/connect";
import test from "ava";
import { principalAttrsHash } from "#core/canonical/identities.js";
import { PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import type { LocalAuthConfig } from "./auth-config.js";
import { createLocalAuthenticator } from "./local-authenticator.js";
import { expectAuthError } from "./testing/expect-auth-error.js";

function config(overrides: Partial<LocalAuthConfig> = {}): LocalAuthConfig {
  return { mode: "local", devAllowNonlocalBind: false, sharedSecret: undefined, humanPrincipals: [], ...overrides };
}

test("without a secret the trimmed principal header is the identity, in tenant local with no roles", async (t) => {
  const principal = await createLocalAuthenticator(config()).authenticate(
    new Headers({ "x-pecr-principal-id": "  dev  " }),
  );
  t.is(principal.principalId, "dev");
  t.is(principal.tenantId, "local");
  t.deepEqual(principal.roles, []);
  t.deepEqual(principal.attributes, {});
  t.is(principal.principalAttrsHash, principalAttrsHash({}));
  t.is(principal.kind, PrincipalKind.AGENT);
});

test("a missing or blank principal header is denied", async (t) => {
  const auth = createLocalAuthenticator(config());
  for (const headers of [new Headers(), new Headers({ "x-pecr-principal-id": "   " })]) {
    await expectAuthError(t, auth.authenticate(headers), {
      code: "ERR_POLICY_DENIED",
      message: "missing x-pecr-principal-id header",
      status: Code.Unauthenticated,
      retryable: false,
    });
  }
});

test("principals listed as humans are humans, everyone else is an agent", async (t) => {
  const auth = createLocalAuthenticator(config({ humanPrincipals: ["alice"] }));
  const kindOf = async (id: string) => (await auth.authenticate(new Headers({ "x-pecr-principal-id": id }))).kind;
  t.is(await kindOf("alice"), PrincipalKind.HUMAN);
  t.is(await kindOf("bot"), PrincipalKind.AGENT);
});

test("with a secret configured, a request without it needs authentication", async (t) => {
  const auth = createLocalAuthenticator(config({ sharedSecret: "s3cret" }));
  await expectAuthError(t, auth.authenticate(new Headers({ "x-pecr-principal-id": "dev" })), {
    code: "ERR_AUTH_REQUIRED",
    message: "missing local auth secret",
    status: Code.Unauthenticated,
    retryable: false,
  });
});

test("with a secret configured, a wrong secret of any length is invalid", async (t) => {
  const auth = createLocalAuthenticator(config({ sharedSecret: "s3cret" }));
  for (const secret of ["s3creT", "s", "s3cret-and-more"]) {
    await expectAuthError(
      t,
      auth.authenticate(new Headers({ "x-pecr-principal-id": "dev", "x-pecr-local-auth-secret": secret })),
      {
        code: "ERR_AUTH_INVALID",
        message: "invalid local auth secret",
        status: Code.Unauthenticated,
        retryable: false,
      },
    );
  }
});

test("with the right secret the principal is authenticated", async (t) => {
  const auth = createLocalAuthenticator(config({ sharedSecret: "s3cret" }));
  const principal = await auth.authenticate(
    new Headers({ "x-pecr-principal-id": "dev", "x-pecr-local-auth-secret": "s3cret" }),
  );
  t.is(principal.principalId, "dev");
});

test("the secret is checked before the principal header", async (t) => {
  const auth = createLocalAuthenticator(config({ sharedSecret: "s3cret" }));
  const error = await t.throwsAsync(auth.authenticate(new Headers({ "x-pecr-local-auth-secret": "wrong" })));
  t.is(error?.message, "invalid local auth secret");
});

test("the secret is compared through the constant-time comparison", async (t) => {
  const calls: Array<[string, string]> = [];
  const auth = createLocalAuthenticator(config({ sharedSecret: "s3cret" }), {
    secretsEqual: (provided, expected) => {
      calls.push([provided, expected]);
      return provided === expected;
    },
  });
  await auth.authenticate(new Headers({ "x-pecr-principal-id": "dev", "x-pecr-local-auth-secret": "s3cret" }));
  t.deepEqual(calls, [["s3cret", "s3cret"]]);
});

test("the controller forwards the principal id and its own configured secret", async (t) => {
  const auth = createLocalAuthenticator(config({ sharedSecret: "s3cret" }));
  const forwarded = auth.forwardHeaders(
    new Headers({ "x-pecr-principal-id": " dev ", "x-pecr-local-auth-secret": "s3cret", "x-other": "1" }),
  );
  t.deepEqual(forwarded, { "x-pecr-principal-id": "dev", "x-pecr-local-auth-secret": "s3cret" });
});

test("without a configured secret the controller passes on the caller's secret, if any", async (t) => {
  const auth = createLocalAuthenticator(config());
  t.deepEqual(auth.forwardHeaders(new Headers({ "x-pecr-principal-id": "dev", "x-pecr-local-auth-secret": "x" })), {
    "x-pecr-principal-id": "dev",
    "x-pecr-local-auth-secret": "x",
  });
  t.deepEqual(auth.forwardHeaders(new Headers({ "x-pecr-principal-id": "dev" })), { "x-pecr-principal-id": "dev" });
});

test("the local authenticator is always ready", (t) => {
  t.true(createLocalAuthenticator(config()).ready());
});
