/**
 * Bounds an operation in time: the caller gets an error at the deadline even when the operation itself would
 * never settle (a database that accepts connections and drops them makes a driver wait indefinitely). The
 * operation is not cancelled; its late outcome is ignored. A ledger unit that commits after its caller timed out
 * is still a complete, verifiable unit — the caller was told it failed, never that it succeeded.
 */
import type { PecrError } from "#core/errors/pecr-error.js";

/** Resolves or rejects like `operation`, or rejects with `onTimeout()` after `ms` milliseconds. */
export function withDeadline<T>(operation: Promise<T>, ms: number, onTimeout: () => PecrError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  // A late rejection of the operation must not surface as an unhandled rejection.
  operation.catch(() => undefined);
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}
