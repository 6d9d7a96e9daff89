/**
 * Verification keys for OIDC tokens, from an inline JWK set or a JWKS URL.
 *
 * The URL case is jose's `createRemoteJWKSet`: it fetches with a timeout, caches the set, and on an unknown
 * `kid` refetches only when the last successful fetch is older than the cooldown (our refresh TTL). Keys never
 * expire by age (`cacheMaxAge: Infinity`), so an identity-provider outage cannot break tokens whose keys are
 * already known; rotation is picked up through the unknown-`kid` refresh. Failures to obtain the set are
 * rethrown as `JwksUnavailableError` so they can be told apart from problems with the token itself.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type JWTVerifyGetKey,
} from "jose";
import type { JwksSource } from "./auth-config.js";
import { StartupError } from "#core/config/startup-error.js";

/** The key set could not be fetched or used (network error, timeout, non-200, malformed set). */
export class JwksUnavailableError extends Error {
  override readonly name = "JwksUnavailableError";
}

/** Fetch settings of a JWKS URL. */
export interface JwksFetchOptions {
  /** Timeout of one fetch, in milliseconds. */
  readonly timeoutMs: number;
  /** Minimum time between refreshes caused by an unknown `kid`, in seconds. */
  readonly refreshTtlSecs: number;
}

/** A key resolver for `jwtVerify` plus its loading state. */
export interface JwksKeyResolver {
  /** Resolves the key a token names (by `alg` and `kid`). */
  readonly getKey: JWTVerifyGetKey;
  /** Loads the key set now (the startup fetch); a no-op for inline sets. */
  load(): Promise<void>;
  /** Whether a key set is loaded. */
  loaded(): boolean;
}

/** Creates the key resolver for a JWKS source; an unusable inline set is a StartupError ERR_INVALID_CONFIG. */
export function createJwksKeyResolver(source: JwksSource, options: JwksFetchOptions): JwksKeyResolver {
  if (source.kind === "inline") {
    let getKey: JWTVerifyGetKey;
    try {
      getKey = createLocalJWKSet(source.jwks);
    } catch (cause) {
      throw new StartupError("ERR_INVALID_CONFIG", "PECR_OIDC_JWKS_JSON is not a valid JWK set", { cause });
    }
    return { getKey, load: async () => {}, loaded: () => true };
  }

  const remote = createRemoteJWKSet(source.url, {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.refreshTtlSecs * 1000,
    cacheMaxAge: Infinity,
  });
  return {
    async getKey(header, token) {
      try {
        return await remote(header, token);
      } catch (error) {
        if (isKeySelectionError(error)) throw error;
        throw new JwksUnavailableError("JWKS unavailable", { cause: error });
      }
    },
    async load() {
      try {
        await remote.reload();
      } catch (cause) {
        throw new StartupError("ERR_AUTH_UNAVAILABLE", "JWKS unavailable at startup", { cause });
      }
    },
    loaded: () => remote.jwks() !== undefined,
  };
}

/** Errors about which key the token names, as opposed to errors obtaining the key set. */
function isKeySelectionError(error: unknown): boolean {
  return (
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JOSENotSupported
  );
}
