/**
 * The gateway's view of the ledger with every operation bounded by `PECR_LEDGER_WRITE_TIMEOUT_MS`, so a dead or
 * unreachable database turns into a prompt ERR_LEDGER_UNAVAILABLE (hint SOURCE_UNAVAILABLE) instead of a call
 * that never answers. Verification, which reads the whole ledger, gets ten times the bound.
 */
import { errors } from "#core/errors/pecr-error.js";
import type { Ledger } from "../ledger/ledger.js";
import { withDeadline } from "./deadline.js";

/** Wraps `ledger` so that each operation settles within `ms` milliseconds. */
export function boundLedger(ledger: Ledger, ms: number): Ledger {
  const bound = <T>(operation: Promise<T>, factor = 1) => withDeadline(operation, ms * factor, () => errors.ledgerUnavailable());
  return {
    ...ledger,
    commit: (unit) => bound(ledger.commit(unit)),
    loadSession: (sessionId) => bound(ledger.loadSession(sessionId)),
    evidenceByIds: (ids) => bound(ledger.evidenceByIds(ids)),
    eventsBySession: (sessionId, page) => bound(ledger.eventsBySession(sessionId, page)),
    eventsByTrace: (traceId, page) => bound(ledger.eventsByTrace(traceId, page)),
    eventsAfter: (page) => bound(ledger.eventsAfter(page)),
    listVersions: (sourceSystem, objectId) => bound(ledger.listVersions(sourceSystem, objectId)),
    versionAt: (sourceSystem, objectId, asOf) => bound(ledger.versionAt(sourceSystem, objectId, asOf)),
    versionBytes: (sourceSystem, objectId, versionId) => bound(ledger.versionBytes(sourceSystem, objectId, versionId)),
    acquireSessionLease: (sessionId, owner, ttlMs) => bound(ledger.acquireSessionLease(sessionId, owner, ttlMs)),
    // The lease wait has its own deadline for a busy lease; this bounds a database that does not answer at all.
    waitForSessionLease: (wait) => bound(ledger.waitForSessionLease(wait), 2),
    leaseSession: (wait) => bound(ledger.leaseSession(wait), 2),
    releaseSessionLease: (sessionId, owner) => bound(ledger.releaseSessionLease(sessionId, owner)),
    verify: (options) => bound(ledger.verify(options), 10),
  };
}
