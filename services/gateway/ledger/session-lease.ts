/**
 * Per-session serialisation across gateway instances without holding a pooled connection: a lease on the
 * session's runtime row, taken with one short UPDATE and given back by the unit of work that ends the call
 * (or explicitly). An expired lease can be taken over, so a crashed holder blocks a session only for its TTL;
 * runtime updates are fenced by the owner (see `RuntimeUpdate.leaseOwner`). Expiry is judged by the database's
 * clock, the one clock all instances share.
 */
import { setTimeout as delay } from "node:timers/promises";
import { errors } from "#core/errors/pecr-error.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { SqlExecutor } from "./database.js";
import { timestampFromMicros } from "./sql-time.js";

/** The outcome of one acquisition attempt. */
export type LeaseAttempt =
  | { readonly status: "acquired"; readonly expiresAt: Timestamp }
  | { readonly status: "busy" }
  | { readonly status: "missing" };

/** Tries once to take (or renew) the lease of `sessionId` for `owner`, for `ttlMs` milliseconds. */
export async function acquireSessionLease(
  sql: SqlExecutor,
  sessionId: string,
  owner: string,
  ttlMs: number,
): Promise<LeaseAttempt> {
  const [row] = await sql<{ expires_us: bigint }>`
    UPDATE pecr_session_runtime
    SET lease_owner = ${owner}, lease_expires_at = clock_timestamp() + ${Math.max(0, Math.trunc(ttlMs))}::bigint * interval '1 millisecond'
    WHERE session_id = ${sessionId}
      AND (lease_owner IS NULL OR lease_owner = ${owner} OR lease_expires_at <= clock_timestamp())
    RETURNING pecr_epoch_us(lease_expires_at) AS expires_us`;
  if (row !== undefined) return { status: "acquired", expiresAt: timestampFromMicros(row.expires_us) };
  const exists = await sql`SELECT 1 FROM pecr_session_runtime WHERE session_id = ${sessionId}`;
  return exists.length > 0 ? { status: "busy" } : { status: "missing" };
}

/** Gives the lease back if `owner` still holds it; returns whether it did. */
export async function releaseSessionLease(sql: SqlExecutor, sessionId: string, owner: string): Promise<boolean> {
  const rows = await sql`UPDATE pecr_session_runtime SET lease_owner = NULL, lease_expires_at = NULL
    WHERE session_id = ${sessionId} AND lease_owner = ${owner} RETURNING session_id`;
  return rows.length > 0;
}

/** How long and how often to try for a lease. */
export interface LeaseWait {
  /** The session. */
  readonly sessionId: string;
  /** The caller's owner id (unique per call, e.g. the request id). */
  readonly owner: string;
  /** Lease duration once acquired. */
  readonly ttlMs: number;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** First retry delay (default 5 ms); doubles up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number | undefined;
  /** Longest retry delay (default 50 ms). */
  readonly maxBackoffMs?: number | undefined;
  /** Aborts the wait (the request was cancelled). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Acquires a lease, retrying with a small jittered backoff until `timeoutMs`. Rejects with `unknownSession` when
 * the session has no runtime row, `ERR_SOURCE_TIMEOUT` at the deadline, `ERR_LEDGER_UNAVAILABLE` on a database
 * failure.
 */
export async function waitForSessionLease(sql: SqlExecutor, wait: LeaseWait): Promise<Timestamp> {
  const deadline = performance.now() + wait.timeoutMs;
  let backoff = wait.initialBackoffMs ?? 5;
  for (;;) {
    let attempt: LeaseAttempt;
    try {
      attempt = await acquireSessionLease(sql, wait.sessionId, wait.owner, wait.ttlMs);
    } catch (cause) {
      throw errors.ledgerUnavailable({ cause });
    }
    if (attempt.status === "acquired") return attempt.expiresAt;
    if (attempt.status === "missing") throw errors.unknownSession();
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw errors.sourceTimeout("session lock acquisition timed out");
    // Jitter spreads contending instances apart.
    const pause = Math.min(remaining, backoff * (0.5 + Math.random() / 2));
    await delay(pause, undefined, { signal: wait.signal });
    backoff = Math.min(backoff * 2, wait.maxBackoffMs ?? 50);
  }
}
