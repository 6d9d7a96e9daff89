/**
 * OIDC mode (reference §6.2, DESIGN §9): `Authorization: Bearer <jwt>` verified with jose against an algorithm
 * allowlist, the issuer, the audience (when configured), `exp` (required) and `nbf` with clock skew, using keys
 * from the configured JWKS.
 */
import { jwtVerify } from "jose";
import { errors } from "#core/errors/pecr-error.js";
import type { OidcAuthConfig } from "./auth-config.js";
import { AUTHORIZATION_HEADER } from "./auth-headers.js";
import type { Authenticator } from "./authenticator.js";
import { createJwksKeyResolver } from "./jwks-key-resolver.js";
import { jwtFailureToPecrError } from "./jwt-failure.js";
import { principalFromClaims } from "./oidc-claims.js";

/**
 * Accepted signature algorithms. Asymmetric only: never `none`, and never HMAC, which would let anyone who
 * knows the public key (everyone) sign tokens.
 */
export const ALLOWED_JWT_ALGORITHMS: readonly string[] = ["RS256", "ES256", "EdDSA"];

/** Optional dependencies of the OIDC authenticator. */
export interface OidcAuthenticatorDeps {
  /** Clock used for `exp`/`nbf` checks; defaults to the wall clock. */
  readonly now?: () => Date;
}

/**
 * Creates the OIDC authenticator. With a JWKS URL the key set is fetched before this resolves (StartupError
 * ERR_AUTH_UNAVAILABLE on failure); an unusable inline set is StartupError ERR_INVALID_CONFIG.
 */
export async function createOidcAuthenticator(
  config: OidcAuthConfig,
  deps: OidcAuthenticatorDeps = {},
): Promise<Authenticator> {
  const keys = createJwksKeyResolver(config.jwks, {
    timeoutMs: config.jwksTimeoutMs,
    refreshTtlSecs: config.jwksRefreshTtlSecs,
  });
  await keys.load();
  const now = deps.now ?? (() => new Date());

  return {
    mode: "oidc",
    async authenticate(headers) {
      const token = bearerToken(headers);
      let claims;
      try {
        ({ payload: claims } = await jwtVerify(token, keys.getKey, {
          algorithms: [...ALLOWED_JWT_ALGORITHMS],
          issuer: config.issuer,
          ...(config.audience === undefined ? {} : { audience: config.audience }),
          requiredClaims: ["exp"],
          clockTolerance: config.clockSkewSecs,
          currentDate: now(),
        }));
      } catch (error) {
        throw jwtFailureToPecrError(error);
      }
      return principalFromClaims(claims, config);
    },
    forwardHeaders(headers) {
      const forwarded: Record<string, string> = {};
      const authorization = headers.get(AUTHORIZATION_HEADER);
      if (authorization !== null) forwarded[AUTHORIZATION_HEADER] = authorization;
      return forwarded;
    },
    ready: () => keys.loaded(),
  };
}

/** Extracts the token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235). */
function bearerToken(headers: Headers): string {
  const value = headers.get(AUTHORIZATION_HEADER);
  if (value === null) throw errors.authRequired("missing Authorization header");
  const match = /^bearer[ \t]+(\S+)$/i.exec(value.trim());
  if (!match?.[1]) throw errors.authInvalid("invalid Authorization header");
  return match[1];
}
