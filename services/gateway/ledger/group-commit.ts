/**
 * Group commit: units of work submitted while a batch is being written wait in a queue and are written
 * together, in one transaction, by the next batch; then every unit's promise settles. One batch per process
 * is in flight at a time (the chain-head row lock serialises batches across processes anyway), so under load
 * the lock and the commit's WAL flush are paid once per batch instead of once per unit.
 *
 * If a batch's transaction fails, its units are retried one per transaction, so a bad unit fails alone and
 * the others commit. A unit that cannot be written rejects with `ERR_LEDGER_UNAVAILABLE` (its cause kept for
 * logs): the gateway fails closed when auditing fails.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { errors } from "#core/errors/pecr-error.js";
import { type CheckpointSigner, insertCheckpoint } from "./checkpoints.js";
import type { LedgerDatabase, SqlTransaction } from "./database.js";
import { type CommitResult, type EvidencePayloadMode, MAIN_CHAIN_ID, type SealedEvent, type UnitOfWork } from "./ledger-types.js";
import { fitsOneStatement, prepareOneStatement } from "./one-statement-writer.js";
import { runtimeConflictOf } from "./runtime-conflict.js";
import { type ChainHead, readChainHead, writeUnits } from "./unit-writer.js";

/** Automatic signed checkpoints. */
export interface CheckpointPolicy {
  /** The signing key. */
  readonly signer: CheckpointSigner;
  /** A checkpoint is written in the batch that crosses each multiple of this many events. */
  readonly everyEvents: number;
  /** Clock for the checkpoint's `created_at` (injected: records never read the clock themselves). */
  readonly now: () => Timestamp;
}

/** Options of the writer. */
export interface GroupCommitOptions {
  /** The database. */
  readonly db: LedgerDatabase;
  /** The chain (default `main`). */
  readonly chainId?: string | undefined;
  /** Evidence storage mode (default metadata-only). */
  readonly evidencePayloads?: EvidencePayloadMode | undefined;
  /** Most units in one batch (default 256). */
  readonly maxBatchUnits?: number | undefined;
  /** Most events in one batch, unless a single unit has more (default 4096). */
  readonly maxBatchEvents?: number | undefined;
  /** Automatic checkpoints; none when unset. */
  readonly checkpoints?: CheckpointPolicy | undefined;
  /**
   * Runs inside each batch transaction after its rows are written and before it commits. For observing batches
   * (and for the crash test, which kills the process here).
   */
  readonly beforeCommit?: ((events: readonly SealedEvent[]) => Promise<void>) | undefined;
}

/** Counters of what the writer did. */
export interface GroupCommitStats {
  /** Transactions committed with at least one unit. */
  readonly batches: number;
  /** Units committed. */
  readonly units: number;
  /** Units rejected. */
  readonly failedUnits: number;
  /** Largest batch committed, in units. */
  readonly largestBatch: number;
}

/** The batching writer. */
export interface GroupCommitWriter {
  /** Queues a unit; resolves with its sealed events once its batch has committed. */
  commit(unit: UnitOfWork): Promise<CommitResult>;
  /** Counters so far. */
  stats(): GroupCommitStats;
  /** Stops accepting units and waits until the queued ones are settled. */
  close(): Promise<void>;
}

interface Pending {
  readonly unit: UnitOfWork;
  readonly resolve: (result: CommitResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Creates a writer over `options.db`. */
export function createGroupCommitWriter(options: GroupCommitOptions): GroupCommitWriter {
  const chainId = options.chainId ?? MAIN_CHAIN_ID;
  const writerOptions = {
    chainId,
    evidencePayloads: options.evidencePayloads ?? "metadata-only",
  } as const;
  const maxUnits = options.maxBatchUnits ?? 256;
  const maxEvents = options.maxBatchEvents ?? 4096;
  const queue: Pending[] = [];
  let draining: Promise<void> | undefined;
  let closed = false;
  const counters = { batches: 0, units: 0, failedUnits: 0, largestBatch: 0 };

  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let events = 0;
    while (queue.length > 0 && batch.length < maxUnits) {
      const next = queue[0] as Pending;
      const size = next.unit.events?.length ?? 0;
      if (batch.length > 0 && events + size > maxEvents) break;
      batch.push(queue.shift() as Pending);
      events += size;
    }
    return batch;
  }

  async function writeInTransaction(tx: SqlTransaction, units: readonly UnitOfWork[]): Promise<CommitResult[]> {
    const { results, sealed } = await writeUnits(tx, units, writerOptions);
    const policy = options.checkpoints;
    const first = sealed[0];
    const last = sealed[sealed.length - 1];
    if (policy !== undefined && first !== undefined && last !== undefined) {
      const every = BigInt(policy.everyEvents);
      if ((first.seq - 1n) / every !== last.seq / every) {
        await insertCheckpoint(tx, policy.signer, chainId, { seq: last.seq, hash: last.eventHash }, policy.now());
      }
    }
    if (options.beforeCommit !== undefined) await options.beforeCommit(sealed);
    return results;
  }

  /** The head this process last committed (for the one-round-trip path); undefined when unknown. */
  let knownHead: ChainHead | undefined;

  /** Whether a batch of `count` events after `head` crosses a checkpoint boundary. */
  function crossesCheckpoint(head: ChainHead, count: number): boolean {
    const policy = options.checkpoints;
    if (policy === undefined || count === 0) return false;
    const every = BigInt(policy.everyEvents);
    return head.seq / every !== (head.seq + BigInt(count)) / every;
  }

  /**
   * Tries the one-statement path (Postgres only, see one-statement-writer.ts). Returns false, having written
   * nothing, when it cannot be used or fails; the locking path then runs.
   */
  async function tryOneStatement(batch: Pending[]): Promise<boolean> {
    if (options.db.backend !== "postgres" || options.beforeCommit !== undefined) return false;
    const units = batch.map((pending) => pending.unit);
    if (!fitsOneStatement(units)) return false;
    try {
      knownHead ??= await readChainHead(options.db.sql, chainId);
      const eventCount = units.reduce((total, unit) => total + (unit.events?.length ?? 0) + (unit.sourceVersions?.length ?? 0), 0);
      if (crossesCheckpoint(knownHead, eventCount)) return false;
      const prepared = prepareOneStatement(units, writerOptions, knownHead);
      await prepared.run(options.db.sql);
      const last = prepared.sealed.at(-1);
      if (last !== undefined) knownHead = { seq: last.seq, hash: last.eventHash };
      counters.batches++;
      counters.units += batch.length;
      counters.largestBatch = Math.max(counters.largestBatch, batch.length);
      batch.forEach((pending, i) => pending.resolve(prepared.results[i] as CommitResult));
      return true;
    } catch {
      knownHead = undefined;
      return false;
    }
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    if (await tryOneStatement(batch)) return;
    try {
      knownHead = undefined;
      const results = await options.db.begin((tx) => writeInTransaction(tx, batch.map((p) => p.unit)));
      counters.batches++;
      counters.units += batch.length;
      counters.largestBatch = Math.max(counters.largestBatch, batch.length);
      batch.forEach((pending, i) => pending.resolve(results[i] as CommitResult));
      return;
    } catch (batchError) {
      if (batch.length === 1) {
        counters.failedUnits++;
        const only = batch[0] as Pending;
        only.reject(runtimeConflictOf(only.unit, batchError) ?? errors.ledgerUnavailable({ cause: batchError }));
        return;
      }
    }
    // The batch failed as a whole: retry its units one per transaction so only a bad unit fails.
    for (const pending of batch) {
      try {
        const [result] = await options.db.begin((tx) => writeInTransaction(tx, [pending.unit]));
        counters.batches++;
        counters.units++;
        counters.largestBatch = Math.max(counters.largestBatch, 1);
        pending.resolve(result as CommitResult);
      } catch (unitError) {
        counters.failedUnits++;
        pending.reject(runtimeConflictOf(pending.unit, unitError) ?? errors.ledgerUnavailable({ cause: unitError }));
      }
    }
  }

  async function drain(): Promise<void> {
    // Yield once so units submitted in the same tick as the first one share its batch.
    await Promise.resolve();
    while (queue.length > 0) await writeBatch(takeBatch());
    draining = undefined;
  }

  return {
    commit(unit) {
      if (closed) return Promise.reject(errors.ledgerUnavailable({ cause: new Error("ledger writer closed") }));
      return new Promise<CommitResult>((resolve, reject) => {
        queue.push({ unit, resolve, reject });
        draining ??= drain();
      });
    },
    stats: () => ({ ...counters }),
    async close() {
      closed = true;
      await draining;
    },
  };
}
