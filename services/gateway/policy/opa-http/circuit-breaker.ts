/**
 * A consecutive-failure circuit breaker with a real half-open state, guarding the OPA client.
 *
 * closed --(threshold consecutive failures)--> open --(open window elapsed)--> half_open
 * half_open admits exactly one probe at a time: its success closes the circuit, its failure re-opens it.
 *
 * Hand-written rather than taken from npm: the common breaker libraries count failures as a percentage over a
 * rolling window and own the call's timeout, whereas PECR's contract (reference §2.8) is "N consecutive failed
 * decisions", with timeouts and retries handled by the client around it.
 */

/** Where the breaker is. */
export type CircuitState = "closed" | "open" | "half_open";

/** Permission to make one call; hand it back with exactly one of `success`, `failure` or `abandon`. */
export interface CircuitPermit {
  /** True when this call is the half-open probe. */
  readonly probe: boolean;
  /** The breaker generation the permit was issued in; outcomes of older generations are ignored. */
  readonly generation: number;
}

/** Options of a circuit breaker. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (>= 1). */
  readonly failureThreshold: number;
  /** How long the circuit stays open before a probe is allowed, in milliseconds. */
  readonly openMs: number;
  /** Monotonic clock in milliseconds; injectable so tests need not wait. */
  readonly now: () => number;
}

/** A circuit breaker. */
export interface CircuitBreaker {
  /** The current state (an elapsed open window reads as half_open). */
  state(): CircuitState;
  /** Returns a permit, or undefined when the call must fail fast (open, or a probe already in flight). */
  tryAcquire(): CircuitPermit | undefined;
  /** Records that the permitted call succeeded. */
  success(permit: CircuitPermit): void;
  /** Records that the permitted call failed. */
  failure(permit: CircuitPermit): void;
  /** Returns a permit whose call ended with no verdict on the server (the caller gave up). */
  abandon(permit: CircuitPermit): void;
  /** How many times the circuit has opened. */
  opens(): number;
}

/** Creates a circuit breaker. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
    throw new RangeError("circuit breaker failure threshold must be an integer >= 1");
  }
  if (!Number.isFinite(options.openMs) || options.openMs < 0) {
    throw new RangeError("circuit breaker open window must be a non-negative number of milliseconds");
  }
  let state: "closed" | "open" = "closed";
  let consecutiveFailures = 0;
  let openUntil = 0;
  let probeInFlight = false;
  // Bumped on every transition so a slow call admitted before the circuit opened cannot close it (or extend
  // its open window) when it finally returns.
  let generation = 0;
  let openCount = 0;

  const open = () => {
    state = "open";
    openUntil = options.now() + options.openMs;
    probeInFlight = false;
    consecutiveFailures = 0;
    generation += 1;
    openCount += 1;
  };
  const close = () => {
    state = "closed";
    consecutiveFailures = 0;
    probeInFlight = false;
    generation += 1;
  };
  const windowElapsed = () => options.now() >= openUntil;

  return {
    state() {
      if (state === "closed") return "closed";
      return windowElapsed() ? "half_open" : "open";
    },
    tryAcquire() {
      if (state === "closed") return { probe: false, generation };
      if (!windowElapsed() || probeInFlight) return undefined;
      probeInFlight = true;
      return { probe: true, generation };
    },
    success(permit) {
      if (permit.generation !== generation) return;
      if (state === "closed") consecutiveFailures = 0;
      else if (permit.probe) close();
    },
    failure(permit) {
      if (permit.generation !== generation) return;
      if (state === "open") {
        if (permit.probe) open();
        return;
      }
      consecutiveFailures += 1;
      if (consecutiveFailures >= options.failureThreshold) open();
    },
    abandon(permit) {
      if (permit.generation === generation && permit.probe) probeInFlight = false;
    },
    opens: () => openCount,
  };
}
