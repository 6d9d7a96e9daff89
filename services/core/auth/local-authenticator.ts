/**
 * Local mode (reference §6.1): the caller names itself in `x-pecr-principal-id`; when a shared secret is
 * configured it must also present it. Tenant `local`, no roles, no attributes.
 */
import { errors } from "#core/errors/pecr-error.js";
import { PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import type { LocalAuthConfig } from "./auth-config.js";
import { LOCAL_AUTH_SECRET_HEADER, PRINCIPAL_ID_HEADER } from "./auth-headers.js";
import type { Authenticator } from "./authenticator.js";
import { constantTimeEqual } from "./constant-time-equal.js";
import { createPrincipal } from "./principal.js";

/** The tenant of every local-mode principal. */
export const LOCAL_TENANT_ID = "local";

/** Optional dependencies of the local authenticator. */
export interface LocalAuthenticatorDeps {
  /** Secret comparison; defaults to `constantTimeEqual` (replaceable so tests can observe its use). */
  readonly secretsEqual?: (provided: string, expected: string) => boolean;
}

/** Creates the local-mode authenticator. */
export function createLocalAuthenticator(config: LocalAuthConfig, deps: LocalAuthenticatorDeps = {}): Authenticator {
  const secretsEqual = deps.secretsEqual ?? constantTimeEqual;
  const humans = new Set(config.humanPrincipals);
  const { sharedSecret } = config;

  return {
    mode: "local",
    async authenticate(headers) {
      // The secret is checked first so an unauthenticated caller learns nothing about the other header.
      if (sharedSecret !== undefined) {
        const provided = headers.get(LOCAL_AUTH_SECRET_HEADER);
        if (provided === null || provided === "") throw errors.authRequired("missing local auth secret");
        if (!secretsEqual(provided, sharedSecret)) throw errors.authInvalid("invalid local auth secret");
      }
      const principalId = headers.get(PRINCIPAL_ID_HEADER)?.trim() ?? "";
      if (principalId === "") throw errors.credentialsDenied("missing x-pecr-principal-id header");
      return createPrincipal({
        principalId,
        tenantId: LOCAL_TENANT_ID,
        roles: [],
        attributes: {},
        kind: humans.has(principalId) ? PrincipalKind.HUMAN : PrincipalKind.AGENT,
      });
    },
    forwardHeaders(headers) {
      const forwarded: Record<string, string> = {};
      const principalId = headers.get(PRINCIPAL_ID_HEADER)?.trim();
      if (principalId) forwarded[PRINCIPAL_ID_HEADER] = principalId;
      // The controller proves itself with its own configured secret; without one it passes the caller's on.
      const secret = sharedSecret ?? headers.get(LOCAL_AUTH_SECRET_HEADER) ?? undefined;
      if (secret) forwarded[LOCAL_AUTH_SECRET_HEADER] = secret;
      return forwarded;
    },
    ready: () => true,
  };
}
