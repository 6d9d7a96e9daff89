/**
 * Writes units of work inside one transaction: locks the chain head, writes every unit's rows, seals all their
 * events in order after the head, appends them with one statement and moves the head. The caller commits.
 */
import { Buffer } from "node:buffer";
import type { SqlExecutor } from "./database.js";
import {
  budgetBytes,
  checkSourceVersion,
  claimMapRow,
  evidenceRow,
  sealEvents,
  snapshotRow,
  sourceVersionObservedEvent,
} from "./ledger-records.js";
import type {
  CommitResult,
  EvidencePayloadMode,
  RuntimeInsert,
  RuntimeUpdate,
  SealedEvent,
  SessionRecord,
  SourceVersionRecord,
  UnitOfWork,
  UnsealedEvent,
} from "./ledger-types.js";
import { timestampText } from "./sql-time.js";

/** How units are written. */
export interface UnitWriterOptions {
  /** The chain appended to. */
  readonly chainId: string;
  /** Whether evidence content is stored. */
  readonly evidencePayloads: EvidencePayloadMode;
  /** Issue a batch's statements without waiting for each (postgres.js pipelines them); false for PGlite. */
  readonly pipeline: boolean;
}

/** ChainHeadMissingError is thrown when the chain's head row does not exist (migrations not applied). */
export class ChainHeadMissingError extends Error {
  override readonly name = "ChainHeadMissingError";
}

/** LeaseLostError is thrown when a fenced runtime update finds the lease held by someone else. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

/** The chain head as locked by a writer. */
export interface ChainHead {
  /** Seq of the last event (0 for an empty chain). */
  readonly seq: bigint;
  /** Hash of the last event (64 zeros for an empty chain). */
  readonly hash: string;
}

/** Locks the chain's head row until the transaction ends and returns it. */
export async function lockChainHead(tx: SqlExecutor, chainId: string): Promise<ChainHead> {
  const [head] = await tx<{ seq: bigint; head_hash: string }>`
    SELECT seq, head_hash FROM pecr_chain_head WHERE chain_id = ${chainId} FOR UPDATE`;
  if (head === undefined) throw new ChainHeadMissingError(`no chain head row for chain ${chainId}`);
  return { seq: head.seq, hash: head.head_hash };
}

/**
 * Writes `units` in the current transaction and returns each unit's sealed events.
 *
 * Rows of the same kind from every unit go into one statement each (arrays of columns through `unnest`), and
 * statements are issued without waiting for one another wherever no result is needed: the driver pipelines them
 * on the transaction's connection and Postgres runs them in order. A batch therefore costs a few round trips,
 * whatever the number of units in it.
 */
export async function writeUnits(
  tx: SqlExecutor,
  units: readonly UnitOfWork[],
  options: UnitWriterOptions,
): Promise<{ results: CommitResult[]; sealed: SealedEvent[] }> {
  // Statements in execution order; run pipelined or one after another (see `UnitWriterOptions.pipeline`).
  let head: ChainHead | undefined;
  const observed: UnsealedEvent[][] = units.map(() => []);
  const statements: (() => Promise<unknown>)[] = [
    // Connections default to asynchronous commit (ephemeral lease writes need no flush); the ledger's own
    // batches are always durable: acknowledged means flushed to disk.
    () => tx`SET LOCAL synchronous_commit TO on`,
    async () => (head = await lockChainHead(tx, options.chainId)),
  ];
  const snapshots = units.flatMap((unit) => (unit.policySnapshot === undefined ? [] : [snapshotRow(unit.policySnapshot)]));
  if (snapshots.length > 0) statements.push(() => insertSnapshots(tx, snapshots));
  const sessions = units.flatMap((unit) => (unit.session === undefined ? [] : [unit.session]));
  if (sessions.length > 0) statements.push(() => insertSessions(tx, sessions));
  const runtimeInserts = units.flatMap((unit) => (unit.runtime?.kind === "insert" ? [unit.runtime] : []));
  if (runtimeInserts.length > 0) statements.push(() => insertRuntimes(tx, runtimeInserts));
  const runtimeChanges = units.flatMap(runtimeChangeOf);
  if (runtimeChanges.length > 0) statements.push(() => updateRuntimes(tx, runtimeChanges));
  const evidence = units.flatMap((unit) => (unit.evidence ?? []).map((record) => evidenceRow(record, options.evidencePayloads)));
  if (evidence.length > 0) statements.push(() => insertEvidence(tx, evidence));
  for (const unit of units) {
    if (unit.claimMap === undefined) continue;
    const row = claimMapRow(unit.claimMap);
    statements.push(() => tx`INSERT INTO pecr_claim_maps (claim_map_id, trace_id, session_id, terminal_mode,
        coverage_threshold, coverage_observed, claim_map_hash, canonical_bytes)
      VALUES (${row.claimMapId}, ${row.traceId}, ${row.sessionId}, ${row.terminalMode}, ${row.coverageThreshold},
        ${row.coverageObserved}, ${row.claimMapHash}, ${row.canonicalBytes})`);
  }
  // Only the first observation of a version is an event: which ones are first is known from RETURNING.
  for (const [index, unit] of units.entries()) {
    for (const version of unit.sourceVersions ?? []) {
      statements.push(async () => {
        const event = await insertSourceVersion(tx, version);
        if (event !== undefined) observed[index]!.push(event);
      });
    }
  }
  await runStatements(statements, options.pipeline);
  const perUnit = units.map((unit, index) => [...(unit.events ?? []), ...observed[index]!]);

  const sealed = sealEvents(perUnit.flat(), options.chainId, head as unknown as ChainHead);
  if (sealed.length > 0) {
    const last = sealed[sealed.length - 1] as SealedEvent;
    await runStatements(
      [
        () => insertEvents(tx, options.chainId, sealed),
        () => tx`UPDATE pecr_chain_head SET seq = ${last.seq}, head_hash = ${last.eventHash}, updated_at = now()
          WHERE chain_id = ${options.chainId}`,
      ],
      options.pipeline,
    );
  }
  const results: CommitResult[] = [];
  let offset = 0;
  for (const events of perUnit) {
    results.push({ events: sealed.slice(offset, offset + events.length) });
    offset += events.length;
  }
  return { results, sealed };
}

async function insertSnapshots(tx: SqlExecutor, rows: readonly ReturnType<typeof snapshotRow>[]): Promise<void> {
  const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
  await tx`INSERT INTO pecr_policy_snapshots (policy_snapshot_id, policy_snapshot_hash, principal_id, tenant_id,
      as_of_time, policy_bundle_hash, evaluated_at, canonical_bytes)
    SELECT u.id, u.hash, u.principal, u.tenant, u.as_of, u.bundle, u.evaluated, decode(u.bytes, 'hex')
    FROM unnest(${column((r) => r.policySnapshotId)}::text[], ${column((r) => r.policySnapshotHash)}::text[],
      ${column((r) => r.principalId)}::text[], ${column((r) => r.tenantId)}::text[],
      ${column((r) => timestampText(r.asOfTime))}::text[]::timestamptz[], ${column((r) => r.policyBundleHash)}::text[],
      ${column((r) => timestampText(r.evaluatedAt))}::text[]::timestamptz[], ${column((r) => hex(r.canonicalBytes))}::text[])
      AS u(id, hash, principal, tenant, as_of, bundle, evaluated, bytes)`;
}

async function insertSessions(tx: SqlExecutor, sessions: readonly SessionRecord[]): Promise<void> {
  const column = <T>(pick: (row: SessionRecord) => T) => sessions.map(pick);
  await tx`INSERT INTO pecr_sessions (session_id, trace_id, principal_id, tenant_id, policy_snapshot_id, budget,
      session_created_at)
    SELECT u.id, u.trace, u.principal, u.tenant, u.snapshot, decode(u.budget, 'hex'), u.created
    FROM unnest(${column((s) => s.sessionId)}::text[], ${column((s) => s.traceId)}::text[],
      ${column((s) => s.principalId)}::text[], ${column((s) => s.tenantId)}::text[],
      ${column((s) => s.policySnapshotId)}::text[], ${column((s) => hex(budgetBytes(s)))}::text[],
      ${column((s) => timestampText(s.createdAt))}::text[]::timestamptz[])
      AS u(id, trace, principal, tenant, snapshot, budget, created)`;
}

async function insertRuntimes(tx: SqlExecutor, runtimes: readonly RuntimeInsert[]): Promise<void> {
  const column = <T>(pick: (row: RuntimeInsert) => T) => runtimes.map(pick);
  await tx`INSERT INTO pecr_session_runtime (session_id, tenant_id, session_token_hash, token_expires_at, updated_at)
    SELECT u.id, u.tenant, u.token_hash, u.expires, u.updated
    FROM unnest(${column((r) => r.sessionId)}::text[], ${column((r) => r.tenantId)}::text[],
      ${column((r) => r.sessionTokenHash)}::text[], ${column((r) => timestampText(r.tokenExpiresAt))}::text[]::timestamptz[],
      ${column((r) => timestampText(r.updatedAt))}::text[]::timestamptz[])
      AS u(id, tenant, token_hash, expires, updated)`;
}

/** One unit's change of its session's runtime row: counters and evidence, finalization, lease release. */
interface RuntimeChange {
  readonly sessionId: string;
  /** Owner the update is fenced by (must hold the lease), or null for an unfenced change. */
  readonly fenceOwner: string | null;
  /** Owner whose lease this unit releases, or null. */
  readonly releaseOwner: string | null;
  readonly operatorCallsUsed: bigint | null;
  readonly bytesUsed: bigint | null;
  readonly addEvidenceUnitIds: readonly string[];
  readonly finalized: boolean;
  /** Whether the row must be updated (a plain release of a lease no longer held is not an error). */
  readonly required: boolean;
  readonly updatedAt: string | null;
}

function runtimeChangeOf(unit: UnitOfWork): RuntimeChange[] {
  const update = unit.runtime?.kind === "update" ? unit.runtime : undefined;
  const release = unit.releaseLease;
  if (update === undefined && release === undefined) return [];
  if (update !== undefined && release !== undefined && release.sessionId !== update.sessionId) {
    return [runtimeChange(update, undefined), runtimeChange(undefined, release)];
  }
  return [runtimeChange(update, release)];
}

function runtimeChange(update: RuntimeUpdate | undefined, release: UnitOfWork["releaseLease"]): RuntimeChange {
  return {
    sessionId: (update?.sessionId ?? release?.sessionId) as string,
    fenceOwner: update?.leaseOwner ?? null,
    releaseOwner: release?.owner ?? null,
    operatorCallsUsed: update?.operatorCallsUsed ?? null,
    bytesUsed: update?.bytesUsed ?? null,
    addEvidenceUnitIds: update?.addEvidenceUnitIds ?? [],
    finalized: update?.finalized ?? false,
    required: update !== undefined,
    updatedAt: update === undefined ? null : timestampText(update.updatedAt),
  };
}

/**
 * Applies every unit's runtime change with one statement. A fenced change whose session's lease is held by
 * someone else updates nothing; that is detected from RETURNING and fails the batch (a unit whose lease expired
 * must not overwrite newer counters), so the group-commit writer retries the units one by one and only the
 * fenced-out unit fails. Releasing a lease no longer held is a no-op.
 */
async function updateRuntimes(tx: SqlExecutor, changes: readonly RuntimeChange[]): Promise<void> {
  const column = <T>(pick: (row: RuntimeChange) => T) => changes.map(pick);
  const updated = await tx<{ session_id: string }>`UPDATE pecr_session_runtime AS r SET
      operator_calls_used = coalesce(u.calls, r.operator_calls_used),
      bytes_used = coalesce(u.bytes, r.bytes_used),
      evidence_unit_ids = CASE WHEN u.add_ids = '[]' THEN r.evidence_unit_ids
        ELSE ARRAY(SELECT DISTINCT id COLLATE "C" FROM unnest(r.evidence_unit_ids ||
          ARRAY(SELECT jsonb_array_elements_text(u.add_ids::jsonb))) AS id ORDER BY 1)
      END,
      finalized = r.finalized OR u.finalized,
      lease_owner = CASE WHEN u.release_owner IS NOT NULL AND r.lease_owner = u.release_owner THEN NULL ELSE r.lease_owner END,
      lease_expires_at = CASE WHEN u.release_owner IS NOT NULL AND r.lease_owner = u.release_owner THEN NULL
        ELSE r.lease_expires_at END,
      updated_at = coalesce(u.updated, r.updated_at)
    FROM unnest(${column((c) => c.sessionId)}::text[], ${column((c) => c.fenceOwner)}::text[],
      ${column((c) => c.releaseOwner)}::text[], ${column((c) => (c.operatorCallsUsed === null ? null : c.operatorCallsUsed.toString()))}::text[]::bigint[],
      ${column((c) => (c.bytesUsed === null ? null : c.bytesUsed.toString()))}::text[]::bigint[],
      ${column((c) => JSON.stringify(c.addEvidenceUnitIds))}::text[], ${column((c) => String(c.finalized))}::text[]::boolean[],
      ${column((c) => c.updatedAt)}::text[]::timestamptz[])
      AS u(session_id, fence_owner, release_owner, calls, bytes, add_ids, finalized, updated)
    WHERE r.session_id = u.session_id
      AND (u.fence_owner IS NULL OR r.lease_owner = u.fence_owner)
      AND (u.fence_owner IS NOT NULL OR u.release_owner IS NULL OR u.calls IS NOT NULL OR u.bytes IS NOT NULL
        OR u.add_ids <> '[]' OR u.finalized OR r.lease_owner = u.release_owner)
    RETURNING r.session_id`;
  const done = new Set(updated.map((row) => row.session_id));
  const missing = changes.find((change) => change.required && !done.has(change.sessionId));
  if (missing !== undefined) throw new LeaseLostError("runtime of session not updated (missing or lease lost)");
}

/**
 * Runs statements in order: pipelined (issued at once, so the driver sends them back to back and Postgres runs
 * them in order on the transaction's connection) or awaited one by one (PGlite, a single in-process connection).
 */
async function runStatements(statements: readonly (() => Promise<unknown>)[], pipeline: boolean): Promise<void> {
  if (pipeline) {
    await Promise.all(statements.map((statement) => statement()));
    return;
  }
  for (const statement of statements) await statement();
}

/** Inserts a source version idempotently; returns its first-observation event when the row is new. */
async function insertSourceVersion(tx: SqlExecutor, version: SourceVersionRecord): Promise<UnsealedEvent | undefined> {
  checkSourceVersion(version);
  const inserted = await tx`INSERT INTO pecr_source_versions (source_system, object_id, version_id,
      first_observed_as_of, byte_length, bytes)
    VALUES (${version.sourceSystem}, ${version.objectId}, ${version.versionId},
      ${timestampText(version.observedAsOf)}::text::timestamptz, ${BigInt(version.bytes.length)}, ${version.bytes})
    ON CONFLICT (source_system, object_id, version_id) DO NOTHING
    RETURNING version_id`;
  return inserted.length > 0 && version.observedEvent !== undefined ? sourceVersionObservedEvent(version.observedEvent, version) : undefined;
}

async function insertEvidence(tx: SqlExecutor, rows: readonly ReturnType<typeof evidenceRow>[]): Promise<void> {
  const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
  await tx`INSERT INTO pecr_evidence_units (evidence_unit_id, trace_id, session_id, source_system, object_id,
      version_id, content_type, content_hash, as_of_time, retrieved_at, policy_snapshot_id, policy_snapshot_hash,
      canonical_bytes, payload)
    SELECT u.id, u.trace, u.session, u.source, u.object, u.version, u.ctype, u.chash, u.as_of, u.retrieved,
      u.snapshot, u.snapshot_hash, decode(u.bytes, 'hex'), decode(u.payload, 'hex')
    FROM unnest(${column((r) => r.evidenceUnitId)}::text[], ${column((r) => r.traceId)}::text[],
      ${column((r) => r.sessionId)}::text[], ${column((r) => r.sourceSystem)}::text[],
      ${column((r) => r.objectId)}::text[], ${column((r) => r.versionId)}::text[],
      ${column((r) => r.contentType)}::text[], ${column((r) => r.contentHash)}::text[],
      ${column((r) => timestampText(r.asOfTime))}::text[]::timestamptz[],
      ${column((r) => timestampText(r.retrievedAt))}::text[]::timestamptz[],
      ${column((r) => r.policySnapshotId)}::text[], ${column((r) => r.policySnapshotHash)}::text[],
      ${column((r) => hex(r.canonicalBytes))}::text[], ${column((r) => (r.payload === null ? null : hex(r.payload)))}::text[])
      AS u(id, trace, session, source, object, version, ctype, chash, as_of, retrieved, snapshot, snapshot_hash,
        bytes, payload)
    ON CONFLICT (evidence_unit_id) DO NOTHING`;
}

/** Appends sealed events with one statement (arrays of columns, bytes as hex). */
async function insertEvents(tx: SqlExecutor, chainId: string, sealed: readonly SealedEvent[]): Promise<void> {
  const column = <T>(pick: (row: SealedEvent) => T) => sealed.map(pick);
  await tx`INSERT INTO pecr_events (chain_id, seq, event_id, event_type, event_time, trace_id, session_id,
      principal_id, policy_snapshot_id, request_id, prev_hash, event_hash, canonical_bytes)
    SELECT ${chainId}::text, u.seq, u.event_id, u.event_type, u.event_time, u.trace_id, u.session_id, u.principal_id,
      u.policy_snapshot_id, u.request_id, u.prev_hash, u.event_hash, decode(u.bytes, 'hex')
    FROM unnest(${column((e) => e.seq.toString())}::text[]::bigint[], ${column((e) => e.event.eventId)}::text[],
      ${column((e) => e.eventType)}::text[],
      ${column((e) => timestampText(e.event.eventTime as NonNullable<typeof e.event.eventTime>))}::text[]::timestamptz[],
      ${column((e) => e.event.traceId)}::text[], ${column((e) => e.event.sessionId)}::text[],
      ${column((e) => e.event.principalId)}::text[], ${column((e) => e.event.policySnapshotId)}::text[],
      ${column((e) => e.event.requestId)}::text[], ${column((e) => e.prevHash)}::text[],
      ${column((e) => e.eventHash)}::text[], ${column((e) => hex(e.canonicalBytes))}::text[])
      AS u(seq, event_id, event_type, event_time, trace_id, session_id, principal_id, policy_snapshot_id,
        request_id, prev_hash, event_hash, bytes)`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
