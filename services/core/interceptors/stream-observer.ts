/**
 * Wraps a response message stream so an interceptor learns how it ended. For streaming RPCs `next(req)` returns
 * before any message is produced; the outcome (and any error) only shows while the stream is consumed, so access
 * log, metrics and error mapping must watch the iteration rather than the call.
 */

/** How a response stream ended. */
export type StreamOutcome =
  /** The producer finished normally. */
  | { readonly kind: "done" }
  /** The producer threw `error` (after the observer's `mapError`, if any). */
  | { readonly kind: "error"; readonly error: unknown }
  /** The consumer stopped early (the client went away or the transport failed). */
  | { readonly kind: "cancelled"; readonly reason: unknown };

/** Options of `observeStream`. */
export interface ObserveStreamOptions {
  /** Called exactly once, when the stream ends in any way. */
  readonly onEnd?: (outcome: StreamOutcome) => void;
  /** Replaces an error the producer throws before it reaches the consumer. */
  readonly mapError?: (error: unknown) => unknown;
}

/** Returns an iterable yielding the same messages as `source` and reporting how the iteration ended. */
export function observeStream<T>(source: AsyncIterable<T>, options: ObserveStreamOptions): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const inner = source[Symbol.asyncIterator]();
      let ended = false;
      const end = (outcome: StreamOutcome) => {
        if (ended) return;
        ended = true;
        options.onEnd?.(outcome);
      };
      return {
        async next(...args: [] | [undefined]) {
          let result: IteratorResult<T>;
          try {
            result = await inner.next(...args);
          } catch (error) {
            const mapped = options.mapError ? options.mapError(error) : error;
            end({ kind: "error", error: mapped });
            throw mapped;
          }
          if (result.done === true) end({ kind: "done" });
          return result;
        },
        async return(value?: unknown) {
          end({ kind: "cancelled", reason: undefined });
          return inner.return ? inner.return(value) : { done: true, value: undefined };
        },
        async throw(reason?: unknown) {
          end({ kind: "cancelled", reason });
          if (inner.throw) return inner.throw(reason);
          throw reason;
        },
      };
    },
  };
}
