/**
 * OIDC end to end: gateway and controller both in oidc mode, verifying tokens against keys generated here and
 * published by a JWKS server on port 0. The controller forwards the caller's token, so the gateway's ledger
 * records the caller (not the controller) as the principal; a forged token is refused by both services.
 */
import anyTest, { type TestFn } from "ava";
import { Code, ConnectError } from "@connectrpc/connect";
import type { JWTPayload } from "jose";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { createSigningKey, epochSeconds, jwksOf, signToken, type SigningKey } from "#core/auth/testing/signing-keys.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { type JwksServer, startJwksServer } from "../integration/auth/support/jwks-server.js";
import { openTestSession } from "../support/gateway-sessions.js";
import { type Stack, startStack } from "../support/stack-harness.js";
import { forEachBackend } from "./support/backends.js";
import { allEvents, assertLedgerVerifies } from "./support/ledger-audit.js";

const test = anyTest as TestFn;
const ISSUER = "https://issuer.pecr.test";
const AUDIENCE = "pecr";
const QUESTION = "What are the support hours?";

interface Keys {
  readonly published: SigningKey;
  /** Same kid as the published key, never published: what a forger would sign with. */
  readonly forged: SigningKey;
}

function claims(subject: string, groups: string[], extra: JWTPayload = {}): JWTPayload {
  const now = epochSeconds(new Date());
  return { iss: ISSUER, aud: AUDIENCE, sub: subject, tenant_id: "local", groups, iat: now, exp: now + 600, ...extra };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

forEachBackend(test, "OIDC end-to-end suite", ({ backend, prefix }) => {
  let stack: Stack | undefined;
  let jwks: JwksServer | undefined;
  let keys: Keys | undefined;
  test.before(async () => {
    keys = { published: await createSigningKey("ES256", "e2e-key"), forged: await createSigningKey("ES256", "e2e-key") };
    jwks = await startJwksServer(jwksOf(keys.published));
    const oidc = {
      PECR_AUTH_MODE: "oidc",
      PECR_OIDC_ISSUER: ISSUER,
      PECR_OIDC_AUDIENCE: AUDIENCE,
      PECR_OIDC_JWKS_URL: jwks.url.href,
      PECR_OIDC_TENANT_CLAIM: "tenant_id",
      PECR_OIDC_ROLES_CLAIM: "groups",
    };
    stack = await startStack({ backend, gatewayEnv: oidc, controllerEnv: oidc });
  });
  test.after.always(async () => {
    await stack?.close();
    await jwks?.close();
  });

  test.serial(`${prefix}oidc: the controller forwards the caller's token; the run works and the ledger records the caller`, async (t) => {
    const token = await signToken(keys!.published, claims("alice", ["pecr:dev"]));
    const run = await stack!.controller.client(bearer(token)).run({ query: QUESTION });
    t.is(run.terminalMode, TerminalMode.SUPPORTED);
    t.true(run.responseText.includes("Support hours are 09:00 to 17:00 UTC"));
    const auditorToken = await signToken(keys!.published, claims("audrey", ["pecr:auditor"]));
    const events = await allEvents(stack!.gateway(bearer(auditorToken)), { sessionId: run.sessionId });
    t.true(events.length > 0);
    t.true(events.every((record) => record.event?.principalId === "alice"));
    // A support-role caller gets the support view of the same question.
    const support = await stack!.controller.client(bearer(await signToken(keys!.published, claims("sam", ["pecr:support"])))).run({ query: QUESTION });
    t.is(support.terminalMode, TerminalMode.SUPPORTED);
    t.false(support.citedEvidence.some((ref) => ref.objectId.startsWith("restricted/")));
  });

  test.serial(`${prefix}oidc: a forged, an expired and a missing token are refused by the controller and the gateway`, async (t) => {
    const forged = await signToken(keys!.forged, claims("mallory", ["pecr:dev"]));
    const expired = await signToken(keys!.published, claims("alice", ["pecr:dev"], { exp: epochSeconds(new Date()) - 3600 }));
    const refusal = async (call: Promise<unknown>) => {
      const error = ConnectError.from(await call.then(() => new Error("accepted"), (thrown: unknown) => thrown));
      return { code: error.code, hint: findErrorDetail(error)?.terminalModeHint };
    };
    const unauthenticated = { code: Code.Unauthenticated, hint: TerminalMode.INSUFFICIENT_PERMISSION };
    for (const headers of [bearer(forged), bearer(expired), {}]) {
      t.deepEqual(await refusal(stack!.controller.client(headers).run({ query: QUESTION })), unauthenticated);
      t.deepEqual(await refusal(stack!.gateway(headers).createSession({ budget: { maxOperatorCalls: 1, maxBytes: 1000n, maxWallclockMs: 1000n, maxRecursionDepth: 1 } })), unauthenticated);
    }
    // A session opened with a valid token cannot be used with a forged token of the same subject.
    const alice = stack!.gateway(bearer(await signToken(keys!.published, claims("alice", ["pecr:dev"]))));
    const session = await openTestSession(alice);
    const impostor = stack!.gateway(bearer(await signToken(keys!.forged, claims("alice", ["pecr:dev"]))));
    t.deepEqual(await refusal(impostor.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)), unauthenticated);
  });

  test.serial(`${prefix}oidc: the ledger chain verifies after the suite`, async (t) => {
    await assertLedgerVerifies(t, stack!.gateway(bearer(await signToken(keys!.published, claims("audrey", ["pecr:auditor"])))));
  });
});
