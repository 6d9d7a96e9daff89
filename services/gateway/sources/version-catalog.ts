/**
 * An in-process catalog of the stored versions of source objects, so a read does not have to list an object's
 * versions from the ledger on every call.
 *
 * Why caching is safe here: versions are append-only, and a new version is only ever recorded with a first
 * observation later than the newest observation of its object at that moment (a session whose as_of is not later
 * than the newest observation is served from the store and records nothing). So for an as_of not later than the
 * newest version this process knows, the stored answer cannot change: versions added later, by any instance, are
 * first observed after it. Reads after it go to the source anyway. (Two instances that both have not yet seen a
 * version first observed in the very same second could each record one; the ledger keeps whichever commits first.)
 * The catalog is filled from the ledger on first use and updated only with versions whose first observation this
 * process committed.
 */
import { LRUCache } from "lru-cache";
import type { Ledger } from "../ledger/ledger.js";
import type { StoredVersion } from "../ledger/ledger-types.js";

/** The catalog. */
export interface VersionCatalog {
  /** The stored versions of an object (from the ledger on first use). */
  versions(sourceSystem: string, objectId: string): Promise<readonly StoredVersion[]>;
  /** Adds versions whose observation was committed. */
  recordCommitted(versions: readonly StoredVersion[]): void;
}

/** Creates a catalog over `ledger` holding at most `maxObjects` objects. */
export function createVersionCatalog(ledger: Pick<Ledger, "listVersions">, maxObjects = 100_000): VersionCatalog {
  const cache = new LRUCache<string, StoredVersion[]>({ max: maxObjects });
  const key = (sourceSystem: string, objectId: string) => `${sourceSystem}\u0000${objectId}`;
  return {
    async versions(sourceSystem, objectId) {
      const cached = cache.get(key(sourceSystem, objectId));
      if (cached !== undefined) return cached;
      const loaded = await ledger.listVersions(sourceSystem, objectId);
      // A concurrent recordCommitted may have created the entry meanwhile: merge rather than overwrite.
      const merged = merge(cache.get(key(sourceSystem, objectId)) ?? [], loaded);
      cache.set(key(sourceSystem, objectId), merged);
      return merged;
    },
    recordCommitted(versions) {
      for (const version of versions) {
        const entryKey = key(version.sourceSystem, version.objectId);
        const entry = cache.get(entryKey);
        // Without an entry nothing is cached for the object: the next read loads it, including this version.
        if (entry !== undefined) cache.set(entryKey, merge(entry, [version]));
      }
    },
  };
}

function merge(current: readonly StoredVersion[], added: readonly StoredVersion[]): StoredVersion[] {
  const byId = new Map(current.map((version) => [version.versionId, version]));
  for (const version of added) if (!byId.has(version.versionId)) byId.set(version.versionId, version);
  return [...byId.values()];
}
