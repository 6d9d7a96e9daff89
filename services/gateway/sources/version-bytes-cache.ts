/**
 * An in-process cache of source-version bytes. Versions are content-addressed (the id is the hash of the
 * bytes), so an entry can never go stale; the ledger's version store stays the source of truth. Bounded by
 * total bytes, least recently used first out.
 */
import { LRUCache } from "lru-cache";

/** A bounded cache of version bytes keyed by source, object and version. */
export interface VersionBytesCache {
  /** Cached bytes, if any. */
  get(sourceSystem: string, objectId: string, versionId: string): Uint8Array | undefined;
  /** Remembers bytes. */
  set(sourceSystem: string, objectId: string, versionId: string, bytes: Uint8Array): void;
}

/** Creates a cache holding at most `maxBytes` (0 disables it). */
export function createVersionBytesCache(maxBytes: number): VersionBytesCache {
  if (maxBytes <= 0) return { get: () => undefined, set: () => undefined };
  const cache = new LRUCache<string, Uint8Array>({ maxSize: maxBytes, sizeCalculation: (bytes) => Math.max(1, bytes.length) });
  const key = (sourceSystem: string, objectId: string, versionId: string) => `${sourceSystem}\u0000${objectId}\u0000${versionId}`;
  return {
    get: (sourceSystem, objectId, versionId) => cache.get(key(sourceSystem, objectId, versionId)),
    set(sourceSystem, objectId, versionId, bytes) {
      if (bytes.length <= maxBytes) cache.set(key(sourceSystem, objectId, versionId), bytes);
    },
  };
}
