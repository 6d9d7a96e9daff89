/**
 * The authentication contract both services use: turn request headers into a `Principal` or a typed error.
 * `createAuthenticator` picks the implementation from the parsed config.
 */
import type { Principal } from "#gen/pecr/v1/policy_pb.js";
import type { AuthConfig, AuthMode } from "./auth-config.js";
import { createLocalAuthenticator, type LocalAuthenticatorDeps } from "./local-authenticator.js";
import { createOidcAuthenticator, type OidcAuthenticatorDeps } from "./oidc-authenticator.js";

/** Authenticates requests in one mode. */
export interface Authenticator {
  /** The mode this authenticator implements. */
  readonly mode: AuthMode;
  /**
   * Returns the caller's principal, or throws a `PecrError` (ERR_POLICY_DENIED / ERR_AUTH_REQUIRED /
   * ERR_AUTH_INVALID as Unauthenticated, ERR_AUTH_UNAVAILABLE as Unavailable).
   */
  authenticate(headers: Headers): Promise<Principal>;
  /**
   * The credential headers the controller sends to the gateway on behalf of an authenticated caller: the
   * caller's `authorization` in oidc mode; the principal id and the shared secret in local mode.
   */
  forwardHeaders(headers: Headers): Record<string, string>;
  /** Whether the authenticator can authenticate (keys loaded); reported by `/readyz`. */
  ready(): boolean;
}

/** Optional dependencies of both implementations. */
export type AuthenticatorDeps = LocalAuthenticatorDeps & OidcAuthenticatorDeps;

/**
 * Creates the authenticator for `config`. In oidc mode with a JWKS URL the key set is fetched before this
 * resolves; failure rejects with `StartupError` ERR_AUTH_UNAVAILABLE (the service must not start without keys).
 */
export async function createAuthenticator(config: AuthConfig, deps: AuthenticatorDeps = {}): Promise<Authenticator> {
  return config.mode === "local" ? createLocalAuthenticator(config, deps) : createOidcAuthenticator(config, deps);
}
