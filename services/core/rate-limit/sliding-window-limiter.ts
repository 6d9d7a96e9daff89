/**
 * Per-key sliding-window rate limiter (reference §2.3): a log of request times per key; a request is refused
 * when the window already holds `limit` requests. The number of keys is bounded (least recently used keys are
 * forgotten first), so a flood of distinct principals cannot grow memory without bound. Per process.
 */

/** Options of the limiter. */
export interface SlidingWindowOptions {
  /** Requests allowed per window and key; 0 disables the limit. */
  readonly limit: number;
  /** Window length in milliseconds (at least 1 s). */
  readonly windowMs: number;
  /** Keys remembered at most (default 16384). */
  readonly maxKeys?: number;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
}

/** A rate limiter. */
export interface RateLimiter {
  /** Records a request for `key` and returns true when it is within the limit, false when refused. */
  tryAcquire(key: string): boolean;
}

/** Creates a sliding-window limiter. */
export function createSlidingWindowLimiter(options: SlidingWindowOptions): RateLimiter {
  const windowMs = Math.max(1000, options.windowMs);
  const maxKeys = options.maxKeys ?? 16384;
  const now = options.now ?? Date.now;
  const logs = new Map<string, number[]>();

  return {
    tryAcquire(key) {
      if (options.limit <= 0) return true;
      const time = now();
      const log = logs.get(key) ?? [];
      logs.delete(key); // re-inserted below: Map order doubles as recency order
      let first = 0;
      while (first < log.length && log[first]! <= time - windowMs) first++;
      const live = first === 0 ? log : log.slice(first);
      const allowed = live.length < options.limit;
      if (allowed) live.push(time);
      logs.set(key, live);
      if (logs.size > maxKeys) logs.delete(logs.keys().next().value as string);
      return allowed;
    },
  };
}
