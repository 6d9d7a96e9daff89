/**
 * The ledger as the gateway and the CLI use it: group-committed units of work, the read paths, session
 * leases, checkpoints and verification over one database. Database failures surface as
 * `ERR_LEDGER_UNAVAILABLE` (never raw SQL errors); the gateway fails closed on them.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { LedgerVerification, SignedLedgerCheckpoint } from "#gen/pecr/v1/ledger_pb.js";
import { errors, PecrError } from "#core/errors/pecr-error.js";
import { type CheckpointSigner, writeCheckpoint } from "./checkpoints.js";
import type { LedgerDatabase } from "./database.js";
import { createGroupCommitWriter, type GroupCommitOptions, type GroupCommitStats } from "./group-commit.js";
import * as reads from "./ledger-reads.js";
import type {
  CommitResult,
  LoadedSession,
  StoredEvent,
  StoredEvidence,
  StoredVersion,
  UnitOfWork,
} from "./ledger-types.js";
import { MAIN_CHAIN_ID } from "./ledger-types.js";
import {
  acquireSessionLease,
  type LeaseAttempt,
  type LeaseWait,
  releaseSessionLease,
  waitForSessionLease,
  waitForSessionLeaseAndLoad,
} from "./session-lease.js";
import { verifyLedger, type VerifyOptions } from "./verify-ledger.js";

/** How the ledger writes: the group-commit writer's options, passed through (`db` must be migrated). */
export type LedgerOptions = GroupCommitOptions;

/** The ledger. */
export interface Ledger {
  /** The database it runs on. */
  readonly db: LedgerDatabase;
  /** Commits a unit of work (group-committed with concurrent ones); resolves with its sealed events. */
  commit(unit: UnitOfWork): Promise<CommitResult>;
  /** A session with its snapshot and runtime; undefined when unknown. */
  loadSession(sessionId: string): Promise<LoadedSession | undefined>;
  /** Evidence units by id. */
  evidenceByIds(ids: readonly string[]): Promise<StoredEvidence[]>;
  /** A session's events in chain order. */
  eventsBySession(sessionId: string, page?: reads.EventPage): Promise<StoredEvent[]>;
  /** A trace's events in chain order. */
  eventsByTrace(traceId: string, page?: reads.EventPage): Promise<StoredEvent[]>;
  /** The chain's events after a position. */
  eventsAfter(page?: reads.EventPage): Promise<StoredEvent[]>;
  /** Stored versions of an object. */
  listVersions(sourceSystem: string, objectId: string): Promise<StoredVersion[]>;
  /** The version current at `asOf`. */
  versionAt(sourceSystem: string, objectId: string, asOf: Timestamp): Promise<StoredVersion | undefined>;
  /** A version's bytes. */
  versionBytes(sourceSystem: string, objectId: string, versionId: string): Promise<Uint8Array | undefined>;
  /** One attempt to take a session's lease. */
  acquireSessionLease(sessionId: string, owner: string, ttlMs: number): Promise<LeaseAttempt>;
  /** Takes a session's lease, retrying with backoff until the wait's timeout. */
  waitForSessionLease(wait: LeaseWait): Promise<Timestamp>;
  /** Takes a session's lease like `waitForSessionLease` and returns the session as loaded under it (one round trip). */
  leaseSession(wait: LeaseWait): Promise<LoadedSession>;
  /** Gives a lease back. */
  releaseSessionLease(sessionId: string, owner: string): Promise<boolean>;
  /** Signs and stores a checkpoint of the current head. */
  writeCheckpoint(signer: CheckpointSigner, createdAt: Timestamp): Promise<SignedLedgerCheckpoint>;
  /** Verifies the whole ledger. */
  verify(options?: VerifyOptions): Promise<LedgerVerification>;
  /** Group-commit counters. */
  stats(): GroupCommitStats;
  /** Waits for queued units, then closes the database. */
  close(): Promise<void>;
}

/** Runs a database call, turning any failure other than a PecrError into ERR_LEDGER_UNAVAILABLE. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    if (cause instanceof PecrError) throw cause;
    throw errors.ledgerUnavailable({ cause });
  }
}

/** Creates the ledger over a migrated database. */
export function createLedger(options: LedgerOptions): Ledger {
  const { db } = options;
  // Leases are ephemeral coordination state: written with asynchronous commit where the database offers it.
  const leaseSql = db.ephemeral ?? db.sql;
  const chainId = options.chainId ?? MAIN_CHAIN_ID;
  const writer = createGroupCommitWriter(options);
  return {
    db,
    commit: (unit) => writer.commit(unit),
    loadSession: (sessionId) => guarded(() => reads.loadSession(db.sql, sessionId)),
    evidenceByIds: (ids) => guarded(() => reads.evidenceByIds(db.sql, ids)),
    eventsBySession: (sessionId, page) => guarded(() => reads.eventsBySession(db.sql, sessionId, page)),
    eventsByTrace: (traceId, page) => guarded(() => reads.eventsByTrace(db.sql, traceId, page)),
    eventsAfter: (page) => guarded(() => reads.eventsAfter(db.sql, chainId, page)),
    listVersions: (sourceSystem, objectId) => guarded(() => reads.listVersions(db.sql, sourceSystem, objectId)),
    versionAt: (sourceSystem, objectId, asOf) => guarded(() => reads.versionAt(db.sql, sourceSystem, objectId, asOf)),
    versionBytes: (sourceSystem, objectId, versionId) =>
      guarded(() => reads.versionBytes(db.sql, sourceSystem, objectId, versionId)),
    acquireSessionLease: (sessionId, owner, ttlMs) =>
      guarded(() => acquireSessionLease(leaseSql, sessionId, owner, ttlMs)),
    waitForSessionLease: (wait) => waitForSessionLease(leaseSql, wait),
    leaseSession: (wait) => waitForSessionLeaseAndLoad(leaseSql, wait),
    releaseSessionLease: (sessionId, owner) => guarded(() => releaseSessionLease(leaseSql, sessionId, owner)),
    writeCheckpoint: (signer, createdAt) => guarded(() => writeCheckpoint(db, signer, createdAt, chainId)),
    verify: (verifyOptions) => guarded(() => verifyLedger(db.sql, { chainId, connection: db.connection, ...verifyOptions })),
    stats: () => writer.stats(),
    async close() {
      await writer.close();
      await db.close();
    },
  };
}
