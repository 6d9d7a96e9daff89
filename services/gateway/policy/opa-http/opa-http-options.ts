/**
 * Options of the OPA REST Data API client, their defaults (reference §2.1, the `PECR_OPA_*` and `PECR_CACHE_*`
 * variables) and their validation. The gateway's config module reads the environment; this module only checks
 * the values it is handed.
 */
import { isSha256Hex } from "#core/canonical/domain-hash.js";

/** Options of `createOpaHttpEngine`. */
export interface OpaHttpEngineOptions {
  /** Base URL of the OPA server (`PECR_OPA_URL`), e.g. `http://127.0.0.1:8181`. */
  readonly url: string;
  /** Hash of the local policy bundle (computed by bundle.ts), reported as the engine's `bundleHash`. */
  readonly bundleHash: string;
  /** Per-attempt timeout in milliseconds (`PECR_OPA_TIMEOUT_MS`, default 200). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (`PECR_OPA_RETRY_MAX_ATTEMPTS`, default 2, at most 10). */
  readonly retryMaxAttempts?: number;
  /** Base of the jittered exponential backoff in milliseconds (`PECR_OPA_RETRY_BASE_BACKOFF_MS`, default 50). */
  readonly retryBaseBackoffMs?: number;
  /** Consecutive failed decisions that open the circuit (`PECR_OPA_CIRCUIT_BREAKER_FAILURE_THRESHOLD`, 8). */
  readonly circuitBreakerFailureThreshold?: number;
  /** How long the circuit stays open in milliseconds (`PECR_OPA_CIRCUIT_BREAKER_OPEN_MS`, default 1000). */
  readonly circuitBreakerOpenMs?: number;
  /** Decision cache bound (`PECR_CACHE_MAX_ENTRIES`, default 0 = disabled). */
  readonly cacheMaxEntries?: number;
  /** Decision cache TTL in milliseconds (`PECR_CACHE_TTL_MS`, default 0 = disabled). */
  readonly cacheTtlMs?: number;
  /** Largest OPA response body accepted, in bytes (default 1 MiB). */
  readonly maxResponseBytes?: number;
  /** Monotonic clock in milliseconds for the breaker and cache (default `performance.now`); for tests. */
  readonly now?: () => number;
  /** Uniform random source in [0, 1] for backoff jitter (default `Math.random`); for tests. */
  readonly random?: () => number;
}

/** Every option resolved to a value. */
export type ResolvedOpaHttpOptions = Required<Omit<OpaHttpEngineOptions, "url">> & { readonly url: URL };

/** Defaults of the numeric options. */
export const OPA_HTTP_DEFAULTS = {
  timeoutMs: 200,
  retryMaxAttempts: 2,
  retryBaseBackoffMs: 50,
  circuitBreakerFailureThreshold: 8,
  circuitBreakerOpenMs: 1000,
  cacheMaxEntries: 0,
  cacheTtlMs: 0,
  maxResponseBytes: 1024 * 1024,
} as const;

/** The most retries `retryMaxAttempts` may ask for. */
export const MAX_RETRY_ATTEMPTS = 10;

/** Applies defaults and validates; throws a RangeError or TypeError naming the bad option. */
export function resolveOpaHttpOptions(options: OpaHttpEngineOptions): ResolvedOpaHttpOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new TypeError("opa url must be an absolute URL", { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("opa url must be http or https");
  if (!isSha256Hex(options.bundleHash)) throw new TypeError("policy bundle hash must be 64 lowercase hex characters");
  const resolved: ResolvedOpaHttpOptions = {
    url,
    bundleHash: options.bundleHash,
    timeoutMs: options.timeoutMs ?? OPA_HTTP_DEFAULTS.timeoutMs,
    retryMaxAttempts: options.retryMaxAttempts ?? OPA_HTTP_DEFAULTS.retryMaxAttempts,
    retryBaseBackoffMs: options.retryBaseBackoffMs ?? OPA_HTTP_DEFAULTS.retryBaseBackoffMs,
    circuitBreakerFailureThreshold:
      options.circuitBreakerFailureThreshold ?? OPA_HTTP_DEFAULTS.circuitBreakerFailureThreshold,
    circuitBreakerOpenMs: options.circuitBreakerOpenMs ?? OPA_HTTP_DEFAULTS.circuitBreakerOpenMs,
    cacheMaxEntries: options.cacheMaxEntries ?? OPA_HTTP_DEFAULTS.cacheMaxEntries,
    cacheTtlMs: options.cacheTtlMs ?? OPA_HTTP_DEFAULTS.cacheTtlMs,
    maxResponseBytes: options.maxResponseBytes ?? OPA_HTTP_DEFAULTS.maxResponseBytes,
    now: options.now ?? (() => performance.now()),
    random: options.random ?? Math.random,
  };
  requireInteger("timeoutMs", resolved.timeoutMs, 1);
  requireInteger("retryMaxAttempts", resolved.retryMaxAttempts, 0, MAX_RETRY_ATTEMPTS);
  requireInteger("retryBaseBackoffMs", resolved.retryBaseBackoffMs, 0);
  requireInteger("circuitBreakerFailureThreshold", resolved.circuitBreakerFailureThreshold, 1);
  requireInteger("circuitBreakerOpenMs", resolved.circuitBreakerOpenMs, 0);
  requireInteger("cacheMaxEntries", resolved.cacheMaxEntries, 0);
  requireInteger("cacheTtlMs", resolved.cacheTtlMs, 0);
  requireInteger("maxResponseBytes", resolved.maxResponseBytes, 1);
  return resolved;
}

function requireInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`opa option ${name} must be an integer in [${min}, ${max}]`);
  }
}
