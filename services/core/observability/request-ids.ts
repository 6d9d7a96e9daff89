/**
 * Request and trace ids (reference §2.3). A request id is whatever the caller sent in `x-pecr-request-id`,
 * reduced to ASCII alphanumerics and `-_.` and at most 64 characters, or a new ULID when nothing is left. A trace
 * id must be a ULID and is re-emitted in canonical uppercase; anything else gets a new ULID, so a caller cannot
 * inject arbitrary text into logs or ledger rows through it.
 */
import { decodeTime, isValid } from "ulid";
import { fastUlid } from "#core/ids/fast-ulid.js";

/** Header carrying the caller's request id; echoed on responses. */
export const REQUEST_ID_HEADER = "x-pecr-request-id";
/** Header carrying the caller's trace id; echoed on responses. */
export const TRACE_ID_HEADER = "x-pecr-trace-id";

const MAX_REQUEST_ID_LENGTH = 64;

/** A new ULID (26 uppercase Crockford base32 characters). */
export function newUlid(): string {
  return fastUlid();
}

/** The request id to use for a request whose header had `raw` (null or undefined when absent). */
export function resolveRequestId(raw: string | null | undefined): string {
  const kept = (raw ?? "").replace(/[^A-Za-z0-9\-_.]/g, "").slice(0, MAX_REQUEST_ID_LENGTH);
  return kept === "" ? newUlid() : kept;
}

/** `raw` as a canonical (uppercase) ULID, or undefined if it is not one. */
export function parseUlid(raw: string | null | undefined): string | undefined {
  if (raw == null || !isValid(raw)) return undefined;
  const upper = raw.toUpperCase();
  try {
    // isValid accepts 26 base32 characters even when they overflow 128 bits (first character above 7);
    // decodeTime rejects those, as a strict ULID parser does.
    decodeTime(upper);
  } catch {
    return undefined;
  }
  return upper;
}

/** The trace id to use for a request whose header had `raw`. */
export function resolveTraceId(raw: string | null | undefined): string {
  return parseUlid(raw) ?? newUlid();
}
