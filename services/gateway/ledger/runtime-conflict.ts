/**
 * The outcome of an optimistic runtime change that lost (see `RuntimeUpdate.expectVersion`): the session's row
 * had changed since the caller read it, or a lease was held on it. Nothing of the unit was written; the caller
 * runs its call again under the session lease.
 */
import type { UnitOfWork } from "./ledger-types.js";

/** The message both ledger writers fail with when a required runtime change updated no row (a bound parameter). */
export const RUNTIME_NOT_UPDATED = "runtime of session not updated (missing, lease lost, or changed since read)";

/** A unit's optimistic runtime change found its row changed or leased; the unit was not written. */
export class RuntimeConflictError extends Error {
  /** The session whose row had moved on. */
  readonly sessionId: string;

  constructor(sessionId: string, cause: unknown) {
    super(`session ${sessionId} changed since its state was read`, { cause });
    this.name = "RuntimeConflictError";
    this.sessionId = sessionId;
  }
}

/**
 * The error a unit that failed alone (in its own transaction) rejects with: a conflict when the unit's change
 * was optimistic and the failure is the writers' "not updated" assertion, else undefined (a ledger failure).
 */
export function runtimeConflictOf(unit: UnitOfWork, error: unknown): RuntimeConflictError | undefined {
  const runtime = unit.runtime;
  if (runtime?.kind !== "update" || runtime.expectVersion === undefined) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return message.includes(RUNTIME_NOT_UPDATED) ? new RuntimeConflictError(runtime.sessionId, error) : undefined;
}
