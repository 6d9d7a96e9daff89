/**
 * The search result cache (reference §2.11): bounded, with a time to live, keyed by the session's policy
 * snapshot hash and the parameters' hash. The snapshot hash covers principal, tenant, roles, attributes,
 * bundle and as_of, so no entry is ever served to another principal or another point in time. Disabled when
 * either bound is 0.
 */
import { LRUCache } from "lru-cache";
import type { EvidenceUnitRef } from "#gen/pecr/v1/evidence_pb.js";

/** A cached search result. */
export interface CachedSearch {
  /** The refs returned. */
  readonly refs: readonly EvidenceUnitRef[];
  /** Canonical size of the result. */
  readonly resultBytes: number;
}

/** The search cache. */
export interface SearchCache {
  /** A live entry, if any. */
  get(policySnapshotHash: string, paramsHash: string): CachedSearch | undefined;
  /** Stores an entry. */
  set(policySnapshotHash: string, paramsHash: string, value: CachedSearch): void;
}

/** Creates the cache (a no-op when `maxEntries` or `ttlMs` is 0). */
export function createSearchCache(maxEntries: number, ttlMs: number): SearchCache {
  if (maxEntries <= 0 || ttlMs <= 0) return { get: () => undefined, set: () => undefined };
  const cache = new LRUCache<string, CachedSearch>({ max: maxEntries, ttl: ttlMs });
  const key = (snapshot: string, params: string) => `${snapshot}:${params}`;
  return {
    get: (snapshot, params) => cache.get(key(snapshot, params)),
    set: (snapshot, params, value) => void cache.set(key(snapshot, params), value),
  };
}
