/**
 * The `opa` policy engine: a client of an OPA server's REST Data API (reference §2.8, DESIGN §6).
 *
 * `decide` posts `{"input": …}` to `{url}/v1/data/pecr/authz/decision` and parses `result` with the shared
 * decision parser. Around the HTTP exchange: a per-attempt timeout, bounded retries of transient failures with
 * full-jitter exponential backoff, a consecutive-failure circuit breaker with a one-probe half-open state, and
 * an optional LRU decision cache for `cacheable` decisions. It fails closed: whenever no decision can be had it
 * rejects with a PecrError, never with an allow.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { errors, type PecrError } from "#core/errors/pecr-error.js";
import { parseDecision } from "../decision.js";
import type { DecideOptions, PolicyDecisionResult, PolicyEngine, PolicyInput } from "../policy-engine.js";
import { fullJitterBackoffMs, MAX_BACKOFF_MS } from "./backoff.js";
import { type CircuitPermit, type CircuitState, createCircuitBreaker } from "./circuit-breaker.js";
import { createDecisionCache, decisionCacheKey } from "./decision-cache.js";
import { createHttpTransport, type HttpExchange } from "./http-transport.js";
import { type OpaHttpEngineOptions, resolveOpaHttpOptions } from "./opa-http-options.js";

/** The Data API path of PECR's decision document, `data.pecr.authz.decision`. */
export const OPA_DECISION_PATH = "v1/data/pecr/authz/decision";

/** OPA's health endpoint, used for readiness. */
export const OPA_HEALTH_PATH = "health";

/** Counters for metrics; a snapshot taken by `stats()`. */
export interface OpaHttpEngineStats {
  /** `decide` calls. */
  readonly decisions: number;
  /** HTTP attempts made (first attempts plus retries). */
  readonly attempts: number;
  /** Attempts that were retries. */
  readonly retries: number;
  /** Attempts that hit the per-attempt timeout. */
  readonly timeouts: number;
  /** `decide` calls that ended without a decision because OPA failed (each counts once toward the breaker). */
  readonly failures: number;
  /** `decide` calls failed fast because the circuit was open (or a half-open probe was in flight). */
  readonly circuitRejections: number;
  /** `decide` calls abandoned because the caller's signal aborted. */
  readonly callerAborts: number;
  /** Current breaker state. */
  readonly breakerState: CircuitState;
  /** Times the circuit has opened. */
  readonly breakerOpens: number;
  /** Decisions served from the cache. */
  readonly cacheHits: number;
  /** Cache lookups that missed (0 while the cache is disabled). */
  readonly cacheMisses: number;
  /** Entries in the cache. */
  readonly cacheSize: number;
}

/** The OPA engine: a PolicyEngine plus its counters. */
export interface OpaHttpEngine extends PolicyEngine {
  /** Always `opa`. */
  readonly kind: "opa";
  /** A snapshot of the engine's counters. */
  stats(): OpaHttpEngineStats;
}

/** One failed attempt, and how it is treated; internal, mapped to a PecrError before leaving `decide`. */
class AttemptFailure extends Error {
  override readonly name = "AttemptFailure";
  constructor(
    /** Timeouts map to ERR_SOURCE_TIMEOUT, everything else to ERR_SOURCE_UNAVAILABLE. */
    readonly kind: "timeout" | "unavailable",
    /** Whether another attempt may help (timeouts, connection errors, 5xx, invalid bodies; not 4xx). */
    readonly retryable: boolean,
    cause: unknown,
  ) {
    super(`opa attempt failed: ${kind}`, { cause });
  }
}

/** The caller's signal aborted; internal, never escapes `decide`. */
class CallerAbort extends Error {
  override readonly name = "CallerAbort";
  constructor(readonly reason: unknown) {
    super("caller aborted the decision");
  }
}

/**
 * Creates the OPA engine. Makes no network call, so a dead OPA does not block startup; readiness reports it.
 * Throws a RangeError or TypeError for invalid options.
 */
export function createOpaHttpEngine(options: OpaHttpEngineOptions): OpaHttpEngine {
  const config = resolveOpaHttpOptions(options);
  const transport = createHttpTransport({ baseUrl: config.url, maxResponseBytes: config.maxResponseBytes });
  const breaker = createCircuitBreaker({
    failureThreshold: config.circuitBreakerFailureThreshold,
    openMs: config.circuitBreakerOpenMs,
    now: config.now,
  });
  const cache = createDecisionCache({ maxEntries: config.cacheMaxEntries, ttlMs: config.cacheTtlMs, now: config.now });
  const backoff = { baseMs: config.retryBaseBackoffMs, capMs: MAX_BACKOFF_MS, random: config.random };
  const counters = {
    decisions: 0,
    attempts: 0,
    retries: 0,
    timeouts: 0,
    failures: 0,
    circuitRejections: 0,
    callerAborts: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
  let closed = false;

  /** One HTTP attempt bounded by the per-attempt timeout and the caller's signal. */
  async function attempt(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    caller: AbortSignal | undefined,
  ): Promise<HttpExchange> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException("attempt timed out", "TimeoutError")), config.timeoutMs);
    const onCallerAbort = () => controller.abort(caller?.reason);
    caller?.addEventListener("abort", onCallerAbort, { once: true });
    try {
      return await transport.exchange(method, path, body, controller.signal);
    } catch (cause) {
      if (caller?.aborted) throw new CallerAbort(caller.reason);
      if (controller.signal.aborted) throw new AttemptFailure("timeout", true, cause);
      throw new AttemptFailure("unavailable", true, cause);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCallerAbort);
    }
  }

  /** Posts the input, retrying transient failures, and parses the decision. */
  async function fetchDecision(input: PolicyInput, caller: AbortSignal | undefined, maxAttempts: number) {
    const body = JSON.stringify({ input });
    let last: AttemptFailure | undefined;
    for (let n = 1; n <= maxAttempts; n += 1) {
      if (n > 1) {
        counters.retries += 1;
        try {
          await sleep(fullJitterBackoffMs(n - 1, backoff), undefined, caller === undefined ? {} : { signal: caller });
        } catch {
          throw new CallerAbort(caller?.reason);
        }
      }
      counters.attempts += 1;
      try {
        return readDecision(await attempt("POST", OPA_DECISION_PATH, body, caller));
      } catch (thrown) {
        if (!(thrown instanceof AttemptFailure)) throw thrown;
        last = thrown;
        if (last.kind === "timeout") counters.timeouts += 1;
        if (!last.retryable) break;
      }
    }
    throw last ?? new AttemptFailure("unavailable", false, undefined);
  }

  return {
    kind: "opa",
    bundleHash: config.bundleHash,

    async decide(input: PolicyInput, decideOptions?: DecideOptions): Promise<PolicyDecisionResult> {
      counters.decisions += 1;
      const caller = decideOptions?.signal;
      if (closed) throw errors.sourceUnavailable("policy engine unavailable");
      if (caller?.aborted) {
        counters.callerAborts += 1;
        throw callerAborted(caller.reason);
      }
      const key = cache === undefined ? undefined : decisionCacheKey(input);
      if (cache !== undefined && key !== undefined) {
        const hit = cache.get(key);
        if (hit !== undefined) {
          counters.cacheHits += 1;
          return hit;
        }
        counters.cacheMisses += 1;
      }
      const permit: CircuitPermit | undefined = breaker.tryAcquire();
      if (permit === undefined) {
        counters.circuitRejections += 1;
        throw errors.sourceUnavailable("policy engine circuit breaker is open");
      }
      let decision: PolicyDecisionResult;
      try {
        // The half-open probe gets a single attempt: its purpose is to test the server, not to hammer it.
        decision = await fetchDecision(input, caller, permit.probe ? 1 : config.retryMaxAttempts + 1);
      } catch (thrown) {
        if (thrown instanceof CallerAbort) {
          // The caller gave up; that says nothing about OPA's health, so it does not count as a failure.
          breaker.abandon(permit);
          counters.callerAborts += 1;
          throw callerAborted(thrown.reason);
        }
        // Anything else (including an unexpected error) is a failed decision: fail closed and count it, so a
        // half-open probe can never be left in flight.
        breaker.failure(permit);
        counters.failures += 1;
        throw thrown instanceof AttemptFailure && thrown.kind === "timeout"
          ? errors.sourceTimeout("policy engine timeout", { cause: thrown.cause })
          : errors.sourceUnavailable("policy engine unavailable", {
              cause: thrown instanceof AttemptFailure ? thrown.cause : thrown,
            });
      }
      breaker.success(permit);
      if (cache !== undefined && key !== undefined) cache.offer(key, decision);
      return decision;
    },

    async ready(): Promise<boolean> {
      if (closed) return false;
      try {
        const { status } = await attempt("GET", OPA_HEALTH_PATH, undefined, undefined);
        return status >= 200 && status < 300;
      } catch {
        return false;
      }
    },

    async close(): Promise<void> {
      closed = true;
      transport.close();
      cache?.clear();
    },

    stats(): OpaHttpEngineStats {
      return {
        ...counters,
        breakerState: breaker.state(),
        breakerOpens: breaker.opens(),
        cacheSize: cache?.size() ?? 0,
      };
    },
  };
}

/**
 * Maps one HTTP exchange to a decision or an attempt failure. 2xx with a JSON object carrying `result`: the
 * parsed decision (a malformed `result` is a deny, by parseDecision). 5xx, an unparsable body or an undefined
 * document (no `result`, OPA's answer while a bundle is still loading): retryable. Any other status: final.
 */
function readDecision(exchange: HttpExchange): PolicyDecisionResult {
  if (exchange.status < 200 || exchange.status >= 300) {
    const cause = new Error(`opa answered status ${exchange.status}`);
    throw new AttemptFailure("unavailable", exchange.status >= 500, cause);
  }
  let document: unknown;
  try {
    document = JSON.parse(exchange.body);
  } catch (cause) {
    throw new AttemptFailure("unavailable", true, cause);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document) || !("result" in document)) {
    throw new AttemptFailure("unavailable", true, new Error("opa response has no result"));
  }
  return parseDecision(document.result);
}

/** The caller's deadline or cancellation ended the decision: report it as the policy engine timing out. */
function callerAborted(reason: unknown): PecrError {
  return errors.sourceTimeout("policy engine timeout", { cause: reason });
}
