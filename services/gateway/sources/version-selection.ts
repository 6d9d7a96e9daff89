/**
 * Time-correct version selection over the ledger's source-version store (DESIGN.md §7).
 *
 * Each stored version carries the as_of time of its first observation. For a session at `asOf`:
 * - when `asOf` is not later than the newest observation of the object, the answer is the stored version with
 *   the greatest first observation at or before `asOf` — the version that was current then, whatever the source
 *   holds now (this is what makes a session at t1 keep seeing v1 after the source moved on to v2);
 * - otherwise (`asOf` is newer than anything observed, or nothing was observed at or before it) the source is
 *   read now, and a version not yet stored is recorded as first observed at `asOf`.
 */
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { EventEnvelope, SourceVersionRecord, StoredVersion } from "../ledger/ledger-types.js";
import { sourceVersionId } from "#core/canonical/identities.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";

/** A version chosen for a read. */
export interface ResolvedVersion {
  /** The version id (content address). */
  readonly versionId: string;
  /** The version's bytes. */
  readonly bytes: Uint8Array;
  /** As_of of the version's first observation (the session's as_of for a new one). */
  readonly firstObservedAt: Timestamp;
  /** A new observation to write in the call's unit of work, when the version was not stored yet. */
  readonly observation: SourceVersionRecord | undefined;
  /**
   * True when the version served was first observed after the session's as_of: nothing older is known, so the
   * read cannot be guaranteed time-correct (counted as a staleness error).
   */
  readonly stale: boolean;
}

const millis = (timestamp: Timestamp) => timestampDate(timestamp).getTime();

/**
 * Version ids of byte arrays already hashed. The corpus hands back the same array for an unchanged file, so an
 * unchanged document is hashed once, not on every read. (A memo of a pure function keyed by object identity: it
 * holds no request state, and entries go with their arrays.)
 */
const versionIds = new WeakMap<Uint8Array, string>();

function versionIdOf(bytes: Uint8Array): string {
  let id = versionIds.get(bytes);
  if (id === undefined) {
    id = sourceVersionId(bytes);
    versionIds.set(bytes, id);
  }
  return id;
}

/** The stored version current at `asOf`, when the store can answer for that time (see the module comment). */
export function selectStoredVersion(versions: readonly StoredVersion[], asOf: Timestamp): StoredVersion | undefined {
  const at = millis(asOf);
  let latestObserved = Number.NEGATIVE_INFINITY;
  let best: StoredVersion | undefined;
  for (const version of versions) {
    const observed = millis(version.firstObservedAsOf);
    latestObserved = Math.max(latestObserved, observed);
    if (observed <= at && (best === undefined || observed > millis(best.firstObservedAsOf))) best = version;
  }
  return at <= latestObserved ? best : undefined;
}

/** Bytes of a stored version, from the in-process cache or the ledger. */
export async function storedVersionBytes(deps: GatewayDeps, version: StoredVersion): Promise<Uint8Array | undefined> {
  const cached = deps.versionBytes.get(version.sourceSystem, version.objectId, version.versionId);
  if (cached !== undefined) return cached;
  const bytes = await deps.ledger.versionBytes(version.sourceSystem, version.objectId, version.versionId);
  if (bytes !== undefined) deps.versionBytes.set(version.sourceSystem, version.objectId, version.versionId, bytes);
  return bytes;
}

/** Describes bytes just read from the source, reusing the stored version or recording a new observation. */
export function observeCurrent(
  deps: GatewayDeps,
  sourceSystem: string,
  objectId: string,
  bytes: Uint8Array,
  versions: readonly StoredVersion[],
  asOf: Timestamp,
  envelope: () => EventEnvelope,
): ResolvedVersion {
  const versionId = versionIdOf(bytes);
  deps.versionBytes.set(sourceSystem, objectId, versionId, bytes);
  const known = versions.find((version) => version.versionId === versionId);
  if (known !== undefined) {
    return { versionId, bytes, firstObservedAt: known.firstObservedAsOf, observation: undefined, stale: millis(known.firstObservedAsOf) > millis(asOf) };
  }
  return {
    versionId,
    bytes,
    firstObservedAt: asOf,
    observation: { sourceSystem, objectId, versionId, observedAsOf: asOf, bytes, observedEvent: envelope() },
    stale: false,
  };
}

/**
 * Resolves the version of `objectId` current at `asOf`: from the store when it can answer for that time,
 * otherwise by reading the source now with `readCurrent`.
 */
export async function resolveVersion(
  deps: GatewayDeps,
  sourceSystem: string,
  objectId: string,
  asOf: Timestamp,
  readCurrent: () => Promise<Uint8Array>,
  envelope: () => EventEnvelope,
): Promise<ResolvedVersion> {
  const versions = await deps.versionCatalog.versions(sourceSystem, objectId);
  const stored = selectStoredVersion(versions, asOf);
  if (stored !== undefined) {
    const bytes = await storedVersionBytes(deps, stored);
    if (bytes !== undefined) {
      return { versionId: stored.versionId, bytes, firstObservedAt: stored.firstObservedAsOf, observation: undefined, stale: false };
    }
  }
  return observeCurrent(deps, sourceSystem, objectId, await readCurrent(), versions, asOf, envelope);
}
