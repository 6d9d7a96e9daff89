/**
 * Retry delays for the OPA client: exponential backoff with full jitter. Each retry waits a uniformly random
 * time in [0, min(cap, base * 2^(retry - 1))], which spreads the retries of many gateways hitting a struggling
 * OPA instead of synchronising them. Hand-written because it is one line of arithmetic; the retry libraries
 * on npm either lack full jitter or cannot abort their sleep on the caller's AbortSignal.
 */

/** The cap on any single backoff delay, in milliseconds. */
export const MAX_BACKOFF_MS = 5000;

/** Parameters of the backoff schedule. */
export interface BackoffPolicy {
  /** Base delay of the first retry, in milliseconds. */
  readonly baseMs: number;
  /** Upper bound of any delay, in milliseconds. */
  readonly capMs: number;
  /** Uniform random source in [0, 1]; injectable so tests can pin the delay. */
  readonly random: () => number;
}

/**
 * Returns the delay before retry number `retry` (1 for the first retry): a full-jitter sample of the capped
 * exponential `min(cap, base * 2^(retry - 1))`.
 */
export function fullJitterBackoffMs(retry: number, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const sample = Math.min(1, Math.max(0, policy.random()));
  return Math.floor(sample * ceiling);
}
