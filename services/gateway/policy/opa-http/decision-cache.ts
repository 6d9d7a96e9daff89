/**
 * The OPA client's decision cache: an LRU with a TTL holding only decisions the policy marked `cacheable`.
 *
 * The key is a domain-separated hash of the whole policy input except the per-request identifiers
 * (request_id, trace_id), so it covers the policy snapshot hash, principal, tenant, roles, attributes, bundle
 * hash and as_of time, plus the action and operator arguments: two inputs share an entry only if the policy
 * would see the same document.
 */
import { LRUCache } from "lru-cache";
import { configure } from "safe-stable-stringify";
import { domainHash } from "#core/canonical/domain-hash.js";
import type { PolicyDecisionResult, PolicyInput } from "../policy-engine.js";

/** Domain of the cache-key hash. */
export const DECISION_CACHE_KEY_DOMAIN = "pecr.opa_decision_cache_key.v1";

// Sorted keys make the serialisation independent of property order; otherwise it treats values exactly as
// JSON.stringify does when the input is sent to OPA, so the key covers precisely the document OPA decides on.
const stableStringify = configure({ deterministic: true, bigint: false });
const encoder = new TextEncoder();

/** Returns the cache key of an input: a hash of everything in it but request_id and trace_id. */
export function decisionCacheKey(input: PolicyInput): string {
  const { request_id: _requestId, trace_id: _traceId, ...decided } = input;
  return domainHash(DECISION_CACHE_KEY_DOMAIN, encoder.encode(stableStringify(decided)));
}

/** Options of the decision cache; either bound at 0 disables it. */
export interface DecisionCacheOptions {
  /** Maximum number of entries (LRU eviction beyond it). */
  readonly maxEntries: number;
  /** Lifetime of an entry, in milliseconds. */
  readonly ttlMs: number;
  /** Clock for the TTL, in milliseconds; injectable so tests need not wait. */
  readonly now?: () => number;
}

/** A decision cache. */
export interface DecisionCache {
  /** The cached decision for a key, if present and fresh. */
  get(key: string): PolicyDecisionResult | undefined;
  /** Stores a decision if it is cacheable; returns whether it was stored. */
  offer(key: string, decision: PolicyDecisionResult): boolean;
  /** Number of entries held (expired ones may still count until touched). */
  size(): number;
  /** Drops every entry. */
  clear(): void;
}

/** Creates a decision cache, or returns undefined when the options disable it. */
export function createDecisionCache(options: DecisionCacheOptions): DecisionCache | undefined {
  for (const [name, value] of [["maxEntries", options.maxEntries], ["ttlMs", options.ttlMs]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`decision cache ${name} must be an integer >= 0`);
  }
  if (options.maxEntries === 0 || options.ttlMs === 0) return undefined;
  const now = options.now;
  const lru = new LRUCache<string, PolicyDecisionResult>({
    max: options.maxEntries,
    ttl: options.ttlMs,
    // An injected clock is read on every check: lru-cache otherwise memoises "now" for a millisecond, which a
    // test advancing a fake clock within one tick would not see.
    ...(now === undefined ? {} : { perf: { now }, ttlResolution: 0 }),
  });
  return {
    get: (key) => lru.get(key),
    offer(key, decision) {
      if (!decision.cacheable) return false;
      lru.set(key, decision);
      return true;
    },
    size: () => lru.size,
    clear: () => lru.clear(),
  };
}
