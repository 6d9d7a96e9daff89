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
import { loadedSessionFromRow, type SessionRow } from "./ledger-reads.js";
import type { LoadedSession } from "./ledger-types.js";
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

/**
 * Takes the lease like `acquireSessionLease` and, in the same statement, returns the session with its snapshot and
 * its runtime as of the lease, so a call needs one round trip to start.
 */
export async function acquireSessionLeaseAndLoad(
  sql: SqlExecutor,
  sessionId: string,
  owner: string,
  ttlMs: number,
): Promise<{ readonly status: "acquired"; readonly session: LoadedSession } | { readonly status: "busy" } | { readonly status: "missing" }> {
  const [row] = await sql<SessionRow>`
    UPDATE pecr_session_runtime AS r
    SET lease_owner = ${owner}, lease_expires_at = clock_timestamp() + ${Math.max(0, Math.trunc(ttlMs))}::bigint * interval '1 millisecond'
    FROM pecr_sessions s JOIN pecr_policy_snapshots p ON p.policy_snapshot_id = s.policy_snapshot_id
    WHERE r.session_id = ${sessionId} AND s.session_id = r.session_id
      AND (r.lease_owner IS NULL OR r.lease_owner = ${owner} OR r.lease_expires_at <= clock_timestamp())
    RETURNING s.session_id, s.trace_id, s.principal_id, s.tenant_id, s.policy_snapshot_id, s.budget,
      pecr_epoch_us(s.session_created_at) AS created_us, p.canonical_bytes AS snapshot_bytes,
      r.tenant_id AS runtime_tenant, r.session_token_hash, pecr_epoch_us(r.token_expires_at) AS expires_us,
      r.operator_calls_used, r.bytes_used, r.evidence_unit_ids, r.finalized, r.runtime_version`;
  if (row !== undefined) return { status: "acquired", session: loadedSessionFromRow(row) };
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
  return retryLease(wait, () => acquireSessionLease(sql, wait.sessionId, wait.owner, wait.ttlMs), (attempt) => attempt.expiresAt);
}

/** Like `waitForSessionLease`, resolving with the session loaded under the lease. */
export async function waitForSessionLeaseAndLoad(sql: SqlExecutor, wait: LeaseWait): Promise<LoadedSession> {
  return retryLease(wait, () => acquireSessionLeaseAndLoad(sql, wait.sessionId, wait.owner, wait.ttlMs), (attempt) => attempt.session);
}

async function retryLease<A extends { readonly status: "acquired" }, R>(
  wait: LeaseWait,
  attemptOnce: () => Promise<A | { readonly status: "busy" } | { readonly status: "missing" }>,
  result: (attempt: A) => R,
): Promise<R> {
  const deadline = performance.now() + wait.timeoutMs;
  let backoff = wait.initialBackoffMs ?? 5;
  for (;;) {
    let attempt: A | { readonly status: "busy" } | { readonly status: "missing" };
    try {
      attempt = await attemptOnce();
    } catch (cause) {
      throw errors.ledgerUnavailable({ cause });
    }
    if (attempt.status === "acquired") return result(attempt as A);
    if (attempt.status === "missing") throw errors.unknownSession();
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw errors.sourceTimeout("session lock acquisition timed out");
    // Jitter spreads contending instances apart.
    const pause = Math.min(remaining, backoff * (0.5 + Math.random() / 2));
    await delay(pause, undefined, { signal: wait.signal });
    backoff = Math.min(backoff * 2, wait.maxBackoffMs ?? 50);
  }
}
