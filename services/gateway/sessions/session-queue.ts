/**
 * In-process serialisation of calls on one session. Calls on the same session that reach this gateway instance
 * wait here, in order, instead of polling the database for the session lease; only calls racing from other
 * instances contend on the lease itself. (On the embedded database, where every poll shares the one connection with
 * the ledger writer, polling storms from a parallel fan-out within one session otherwise starve the writer.)
 */

/** Releases a turn. Idempotent. */
export type ReleaseTurn = () => void;

/** A queue of turns per key. */
export interface SessionQueue {
  /** Waits for `key`'s turn; resolves with the function that ends it. Aborting the signal leaves the queue. */
  acquire(key: string, signal?: AbortSignal): Promise<ReleaseTurn>;
}

/** Creates an empty queue. */
export function createSessionQueue(): SessionQueue {
  // The tail of each key's chain: resolved when the last turn taken so far ends.
  const tails = new Map<string, Promise<void>>();
  return {
    async acquire(key, signal) {
      const previous = tails.get(key) ?? Promise.resolve();
      let end!: () => void;
      const mine = new Promise<void>((resolve) => (end = resolve));
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      let released = false;
      const release: ReleaseTurn = () => {
        if (released) return;
        released = true;
        end();
        // Forget the key once nobody queued behind this turn.
        if (tails.get(key) === tail) tails.delete(key);
      };
      if (signal === undefined) {
        await previous;
        return release;
      }
      signal.throwIfAborted();
      try {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal.reason);
          signal.addEventListener("abort", onAbort, { once: true });
          previous.then(() => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          }, reject);
        });
      } catch (error) {
        // Our turn may still come after the abort: pass it straight on to whoever is behind us.
        void previous.then(release);
        throw error;
      }
      return release;
    },
  };
}
