/**
 * Maps a failed JWT verification to the client-facing error. Messages are a fixed set so identical bad tokens
 * give identical errors; the precise reason travels in `cause` (logged, never sent).
 */
import { errors as joseErrors } from "jose";
import { errors, type PecrError } from "#core/errors/pecr-error.js";
import { JwksUnavailableError } from "./jwks-key-resolver.js";

/** Converts anything `jwtVerify` (with our key resolver) throws into a PecrError. */
export function jwtFailureToPecrError(error: unknown): PecrError {
  const options = { cause: error };
  if (error instanceof JwksUnavailableError) return errors.authUnavailable("JWKS unavailable", options);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return errors.authInvalid("unsupported JWT alg", options);
  if (error instanceof joseErrors.JWKSNoMatchingKey) return errors.authInvalid("JWT kid not found in JWKS", options);
  if (error instanceof joseErrors.JWTExpired && error.claim === "exp") {
    return errors.authInvalid("JWT expired", options);
  }
  const claimFailure = error instanceof joseErrors.JWTClaimValidationFailed ? error : undefined;
  if (claimFailure?.claim === "nbf" && claimFailure.reason === "check_failed") {
    return errors.authInvalid("JWT not yet valid", options);
  }
  return errors.authInvalid("JWT validation failed", options);
}
