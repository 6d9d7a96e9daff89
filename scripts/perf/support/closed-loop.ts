/**
 * A closed-loop load generator: N virtual users, each issuing its next request as soon as the previous one
 * completes, for a fixed duration after a warm-up. Records every completed request's latency.
 */
import { performance } from "node:perf_hooks";

/** Options of a run. */
export interface ClosedLoopOptions {
  /** Virtual users. */
  readonly users: number;
  /** Measured duration, ms. */
  readonly durationMs: number;
  /** Unmeasured warm-up before it, ms. */
  readonly warmupMs?: number;
}

/** Samples of a run. */
export interface ClosedLoopResult {
  /** Latency of each successful request in the measured window, ms. */
  readonly latencies: number[];
  /** Requests that failed in the measured window. */
  readonly errors: number;
  /** The measured window, ms. */
  readonly elapsedMs: number;
}

/**
 * Runs `request(user, iteration)` for each user in a loop. A request resolving to `false` counts as an error
 * (e.g. a wrong terminal mode); a rejection too.
 */
export async function runClosedLoop(
  options: ClosedLoopOptions,
  request: (user: number, iteration: number) => Promise<boolean | void>,
): Promise<ClosedLoopResult> {
  const warmupEnd = performance.now() + (options.warmupMs ?? 0);
  const end = warmupEnd + options.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  const user = async (index: number) => {
    for (let iteration = 0; performance.now() < end; iteration++) {
      const start = performance.now();
      let ok = true;
      try {
        ok = (await request(index, iteration)) !== false;
      } catch {
        ok = false;
      }
      const finished = performance.now();
      if (start >= warmupEnd && finished <= end) {
        if (ok) latencies.push(finished - start);
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.users }, (_, index) => user(index)));
  return { latencies, errors, elapsedMs: options.durationMs };
}
