/**
 * Session capability tokens: 256 random bits, base64url; only their hash is stored. A token is bound to its
 * session and principal (checked by the caller) and expires.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { sessionTokenHash } from "#core/canonical/identities.js";

/** Mints a new token. */
export function mintSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

/** True when `token` hashes to `storedHash` (compared in constant time). */
export function sessionTokenMatches(token: string, storedHash: string): boolean {
  const actual = Buffer.from(sessionTokenHash(token), "hex");
  const expected = Buffer.from(storedHash, "hex");
  return actual.length === expected.length && expected.length > 0 && timingSafeEqual(actual, expected);
}
