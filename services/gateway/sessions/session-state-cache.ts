/**
 * The state of sessions as this gateway instance last committed it, so a call can run without first taking the
 * session lease (one database round trip fewer per call). Such a call is optimistic: its unit of work carries the
 * runtime version it read (`RuntimeUpdate.expectVersion`) and is written only if the session's row is still at
 * that version with no lease held. If another instance changed the session meanwhile, nothing is written and the
 * call runs again under the lease (see `withSessionCall`). Calls on one session within this instance are already
 * serialised by the session queue, so entries never race each other.
 *
 * Bounded: the least recently used entry goes first. A session seen by one instance only ever pays for the lease
 * on its first call there (or none, when it was created there).
 */
import type { LoadedSession, RuntimeUpdate } from "../ledger/ledger-types.js";

/** Session states by id. */
export interface SessionStateCache {
  /** The state last committed for `sessionId` by this instance, if known. */
  get(sessionId: string): LoadedSession | undefined;
  /** Records `state` as the session's current one. */
  set(sessionId: string, state: LoadedSession): void;
  /** Forgets `sessionId` (its state is unknown or the session has ended). */
  delete(sessionId: string): void;
  /** Entries held. */
  readonly size: number;
}

/** Creates a cache of at most `capacity` sessions; 0 keeps nothing (every call takes the lease). */
export function createSessionStateCache(capacity: number): SessionStateCache {
  const entries = new Map<string, LoadedSession>();
  return {
    get(sessionId) {
      const state = entries.get(sessionId);
      if (state !== undefined) {
        // Map iteration order is insertion order: re-inserting marks the entry most recently used.
        entries.delete(sessionId);
        entries.set(sessionId, state);
      }
      return state;
    },
    set(sessionId, state) {
      if (capacity <= 0) return;
      entries.delete(sessionId);
      entries.set(sessionId, state);
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
    },
    delete(sessionId) {
      entries.delete(sessionId);
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * The state after `update` was committed on `state`: the same change the ledger writers make to the row (counters
 * replaced, evidence ids added as a sorted set, finalization sticky, version bumped).
 */
export function applyRuntimeUpdate(state: LoadedSession, update: RuntimeUpdate): LoadedSession {
  const runtime = state.runtime;
  const added = update.addEvidenceUnitIds ?? [];
  return {
    ...state,
    runtime: {
      ...runtime,
      operatorCallsUsed: update.operatorCallsUsed ?? runtime.operatorCallsUsed,
      bytesUsed: update.bytesUsed ?? runtime.bytesUsed,
      evidenceUnitIds: added.length === 0 ? runtime.evidenceUnitIds : sortedUnion(runtime.evidenceUnitIds, added),
      finalized: runtime.finalized || update.finalized === true,
      version: runtime.version + 1n,
    },
  };
}

/** The sorted, duplicate-free union of two id lists, in the ledger's `COLLATE "C"` order (ids are lowercase hex, so code-unit order is byte order). */
function sortedUnion(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
