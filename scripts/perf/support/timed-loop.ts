/**
 * A closed-loop load generator that keeps every request: N virtual users, each issuing its next request as soon
 * as the previous one completes, for a fixed duration after an unmeasured warm-up. Unlike `runClosedLoop`, it
 * records when each request started and ended and what it returned, so a caller can judge each request against
 * what was expected at that moment (a fault switched on and off mid-run) and audit what was acknowledged.
 *
 * By default a request counts when it ends inside the measured window (whenever it started): the completions
 * per second of a loop in steady state. Requests still running when the window closes are aborted through the
 * signal passed to them and not counted, so an overloaded service cannot stretch a run past its duration. This
 * is where k6 differs: its executors let the iterations in flight finish (`gracefulStop`, 30 s by default) and
 * count them. That is at most one request per user, and waiting for it would make a run as long as the
 * service's slowest request, so the window's figures are kept exact instead.
 * With `includeOverrun` (fault scenarios) every request started in the window is kept and waited for instead,
 * and no request is issued once the window has closed: the kept requests are then exactly those issued after
 * the warm-up, so a ledger audit can count them against the events they caused.
 */
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";

/** Options of a run. */
export interface TimedLoopOptions {
  /** Virtual users. */
  readonly users: number;
  /** Measured duration, ms. */
  readonly durationMs: number;
  /** Unmeasured warm-up before it, ms (default 0). */
  readonly warmupMs?: number;
  /** Called once the warm-up is over (at the measured window's start). */
  readonly onMeasureStart?: () => void;
  /**
   * Keep every request that started in the window, however late it ends, and wait for it (default false).
   * Fault scenarios set it: a request that hangs past the window must still be judged, not silently dropped.
   */
  readonly includeOverrun?: boolean;
}

/** One measured request. */
export interface TimedSample<T> {
  /** Virtual user. */
  readonly user: number;
  /** Start, ms since the measured window opened (negative when it started in the warm-up). */
  readonly startMs: number;
  /** End, ms since the measured window opened. */
  readonly endMs: number;
  /** What the request function returned. */
  readonly outcome: T;
}

/** The kept requests of a run. */
export interface TimedLoopResult<T> {
  /** The samples, in completion order. */
  readonly samples: TimedSample<T>[];
  /** The measured window, ms (extended to the last kept request's end when overruns are kept). */
  readonly elapsedMs: number;
  /** Requests issued in all, warm-up and aborted ones included. */
  readonly issued: number;
}

/**
 * Runs `request(user, iteration, signal)` for each user in a loop. `request` must not throw: it returns its
 * outcome, failures included (a load generator that stops on the first error measures nothing under faults).
 * `signal` is aborted when the window closes (never with `includeOverrun`).
 */
export async function runTimedLoop<T>(
  options: TimedLoopOptions,
  request: (user: number, iteration: number, signal: AbortSignal) => Promise<T>,
): Promise<TimedLoopResult<T>> {
  const origin = performance.now() + (options.warmupMs ?? 0);
  const end = origin + options.durationMs;
  const samples: TimedSample<T>[] = [];
  const closing = new AbortController();
  // Every user's request in flight listens on this one signal: as many listeners as users, not a leak.
  setMaxListeners(0, closing.signal);
  let issued = 0;
  const timers = [
    setTimeout(() => options.onMeasureStart?.(), Math.max(0, origin - performance.now())),
    // Rounded up: Node timers may fire up to a millisecond early against performance.now().
    ...(options.includeOverrun ? [] : [setTimeout(() => closing.abort(), Math.max(0, Math.ceil(end - performance.now()) + 1))]),
  ];
  const user = async (index: number) => {
    // Timers may fire a fraction of a millisecond early: a closed window also ends the loop.
    for (let iteration = 0; !closing.signal.aborted; iteration++) {
      // One clock reading decides both whether to issue and where the request starts: read twice, a request
      // issued just before the window's end could start after it and be issued but never kept.
      const start = performance.now();
      if (start >= end) break;
      issued++;
      const outcome = await request(index, iteration, closing.signal);
      const finished = performance.now();
      // A request that ended because the window closed (aborted through its signal) is not a completion.
      const kept = options.includeOverrun ? start >= origin && start < end : finished >= origin && finished <= end && !closing.signal.aborted;
      if (kept) samples.push({ user: index, startMs: start - origin, endMs: finished - origin, outcome });
    }
  };
  try {
    await Promise.all(Array.from({ length: options.users }, (_, index) => user(index)));
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  const lastEnd = samples.reduce((latest, sample) => Math.max(latest, sample.endMs), 0);
  return { samples, elapsedMs: options.includeOverrun ? Math.max(options.durationMs, lastEnd) : options.durationMs, issued };
}
