/**
 * The fast batch writer on Postgres: a whole batch in ONE SQL statement (data-modifying CTEs), so it costs one
 * round trip and is atomic by itself — no BEGIN/COMMIT, nothing that depends on the order in which a driver sends
 * concurrently issued queries.
 *
 * It seals the batch's events against the head this process last committed. Correctness does not depend on that
 * head being right: the statement moves the head only from the expected (seq, hash) and otherwise fails
 * (`pecr_require`), and the `(chain_id, prev_hash)` fork guard would refuse stale events anyway. A fenced runtime
 * change that finds its lease gone fails the statement the same way. Source versions are inserted without
 * ON CONFLICT: the gateway only records versions its catalog does not know, so a conflict means another instance
 * raced it. On any failure nothing is written and the group-commit writer falls back to the locking writer
 * (unit-writer.ts), which also isolates a bad unit. Batches with MCP approval steps always take that path.
 */
import type { SqlExecutor } from "./database.js";
import { RUNTIME_NOT_UPDATED } from "./runtime-conflict.js";
import { sealEvents, sourceVersionObservedEvent } from "./ledger-records.js";
import type { CommitResult, SealedEvent, UnitOfWork, UnsealedEvent } from "./ledger-types.js";
import {
  claimMapColumns,
  eventColumns,
  evidenceColumns,
  runtimeChangeColumns,
  runtimeInsertColumns,
  sessionColumns,
  snapshotColumns,
  sourceVersionColumns,
} from "./row-columns.js";
import { batchRows, type ChainHead, splitResults, type UnitWriterOptions } from "./unit-writer.js";

/** A batch prepared as one statement. */
export interface OneStatementBatch {
  /** Each unit's sealed events. */
  readonly results: CommitResult[];
  /** All sealed events, in chain order. */
  readonly sealed: SealedEvent[];
  /** Runs the statement. */
  run(sql: SqlExecutor): Promise<unknown>;
}

/** Whether `units` can be written by this writer. */
export function fitsOneStatement(units: readonly UnitOfWork[]): boolean {
  return units.every((unit) => unit.mcpApproval === undefined);
}

/** Prepares `units` to be written after `head`. Throws LedgerRecordError for a record that does not match. */
export function prepareOneStatement(units: readonly UnitOfWork[], options: UnitWriterOptions, head: ChainHead): OneStatementBatch {
  const rows = batchRows(units, options);
  const perUnit: UnsealedEvent[][] = units.map((unit) => [
    ...(unit.events ?? []),
    ...(unit.sourceVersions ?? []).flatMap((version) =>
      version.observedEvent === undefined ? [] : [sourceVersionObservedEvent(version.observedEvent, version)],
    ),
  ]);
  const sealed = sealEvents(perUnit.flat(), options.chainId, head);
  const last = sealed.at(-1);
  const next = last === undefined ? head : { seq: last.seq, hash: last.eventHash };
  const snap = snapshotColumns(rows.snapshots);
  const sess = sessionColumns(rows.sessions);
  const rtIns = runtimeInsertColumns(rows.runtimeInserts);
  const rt = runtimeChangeColumns(rows.runtimeChanges);
  const ev = evidenceColumns(rows.evidence);
  const cm = claimMapColumns(rows.claimMaps);
  const sv = sourceVersionColumns(rows.sourceVersions);
  const evt = eventColumns(sealed);

  return {
    results: splitResults(perUnit, sealed),
    sealed,
    run: (sql) => sql`WITH
      moved AS (
        UPDATE pecr_chain_head SET seq = ${next.seq}, head_hash = ${next.hash}, updated_at = now()
        WHERE chain_id = ${options.chainId} AND seq = ${head.seq} AND head_hash = ${head.hash}
        RETURNING 1),
      snapshots AS (
        INSERT INTO pecr_policy_snapshots (policy_snapshot_id, policy_snapshot_hash, principal_id, tenant_id,
          as_of_time, policy_bundle_hash, evaluated_at, canonical_bytes)
        SELECT u.id, u.hash, u.principal, u.tenant, u.as_of, u.bundle, u.evaluated, decode(u.bytes, 'hex')
        FROM unnest(${snap.ids}::text[], ${snap.hashes}::text[], ${snap.principals}::text[], ${snap.tenants}::text[],
          ${snap.asOf}::text[]::timestamptz[], ${snap.bundles}::text[], ${snap.evaluated}::text[]::timestamptz[],
          ${snap.bytes}::text[]) AS u(id, hash, principal, tenant, as_of, bundle, evaluated, bytes)
        RETURNING 1),
      sessions AS (
        INSERT INTO pecr_sessions (session_id, trace_id, principal_id, tenant_id, policy_snapshot_id, budget,
          session_created_at)
        SELECT u.id, u.trace, u.principal, u.tenant, u.snapshot, decode(u.budget, 'hex'), u.created
        FROM unnest(${sess.ids}::text[], ${sess.traces}::text[], ${sess.principals}::text[], ${sess.tenants}::text[],
          ${sess.snapshots}::text[], ${sess.budgets}::text[], ${sess.created}::text[]::timestamptz[])
          AS u(id, trace, principal, tenant, snapshot, budget, created)
        RETURNING 1),
      runtimes AS (
        INSERT INTO pecr_session_runtime (session_id, tenant_id, session_token_hash, token_expires_at, updated_at)
        SELECT u.id, u.tenant, u.token_hash, u.expires, u.updated
        FROM unnest(${rtIns.ids}::text[], ${rtIns.tenants}::text[], ${rtIns.tokenHashes}::text[],
          ${rtIns.expires}::text[]::timestamptz[], ${rtIns.updated}::text[]::timestamptz[])
          AS u(id, tenant, token_hash, expires, updated)
        RETURNING 1),
      changed AS (
        UPDATE pecr_session_runtime AS r SET
          operator_calls_used = coalesce(u.calls, r.operator_calls_used),
          bytes_used = coalesce(u.bytes, r.bytes_used),
          evidence_unit_ids = CASE WHEN u.add_ids = '[]' THEN r.evidence_unit_ids
            ELSE ARRAY(SELECT DISTINCT id COLLATE "C" FROM unnest(r.evidence_unit_ids ||
              ARRAY(SELECT jsonb_array_elements_text(u.add_ids::jsonb))) AS id ORDER BY 1)
          END,
          finalized = r.finalized OR u.finalized,
          lease_owner = CASE WHEN u.release_owner IS NOT NULL AND r.lease_owner = u.release_owner THEN NULL
            ELSE r.lease_owner END,
          lease_expires_at = CASE WHEN u.release_owner IS NOT NULL AND r.lease_owner = u.release_owner THEN NULL
            ELSE r.lease_expires_at END,
          updated_at = coalesce(u.updated, r.updated_at),
          runtime_version = r.runtime_version + CASE WHEN u.required THEN 1 ELSE 0 END
        FROM unnest(${rt.ids}::text[], ${rt.fenceOwners}::text[], ${rt.releaseOwners}::text[], ${rt.calls}::text[]::bigint[],
          ${rt.bytes}::text[]::bigint[], ${rt.addIds}::text[], ${rt.finalized}::text[]::boolean[],
          ${rt.updated}::text[]::timestamptz[], ${rt.required}::text[]::boolean[], ${rt.expectVersions}::text[]::bigint[])
          AS u(session_id, fence_owner, release_owner, calls, bytes, add_ids, finalized, updated, required, expect_version)
        WHERE r.session_id = u.session_id
          AND (u.fence_owner IS NULL OR r.lease_owner = u.fence_owner)
          AND (u.expect_version IS NULL OR (r.runtime_version = u.expect_version AND r.lease_owner IS NULL))
          AND (u.required OR r.lease_owner = u.release_owner)
        RETURNING u.required),
      evidence AS (
        INSERT INTO pecr_evidence_units (evidence_unit_id, trace_id, session_id, source_system, object_id,
          version_id, content_type, content_hash, as_of_time, retrieved_at, policy_snapshot_id, policy_snapshot_hash,
          canonical_bytes, payload)
        SELECT u.id, u.trace, u.session, u.source, u.object, u.version, u.ctype, u.chash, u.as_of, u.retrieved,
          u.snapshot, u.snapshot_hash, decode(u.bytes, 'hex'), decode(u.payload, 'hex')
        FROM unnest(${ev.ids}::text[], ${ev.traces}::text[], ${ev.sessions}::text[], ${ev.sources}::text[],
          ${ev.objects}::text[], ${ev.versions}::text[], ${ev.contentTypes}::text[], ${ev.contentHashes}::text[],
          ${ev.asOf}::text[]::timestamptz[], ${ev.retrieved}::text[]::timestamptz[], ${ev.snapshots}::text[],
          ${ev.snapshotHashes}::text[], ${ev.bytes}::text[], ${ev.payloads}::text[])
          AS u(id, trace, session, source, object, version, ctype, chash, as_of, retrieved, snapshot, snapshot_hash,
            bytes, payload)
        ON CONFLICT (evidence_unit_id) DO NOTHING
        RETURNING 1),
      claim_maps AS (
        INSERT INTO pecr_claim_maps (claim_map_id, trace_id, session_id, terminal_mode, coverage_threshold,
          coverage_observed, claim_map_hash, canonical_bytes)
        SELECT u.id, u.trace, u.session, u.mode, u.threshold, u.observed, u.hash, decode(u.bytes, 'hex')
        FROM unnest(${cm.ids}::text[], ${cm.traces}::text[], ${cm.sessions}::text[], ${cm.modes}::text[],
          ${cm.thresholds}::text[]::double precision[], ${cm.observed}::text[]::double precision[], ${cm.hashes}::text[],
          ${cm.bytes}::text[]) AS u(id, trace, session, mode, threshold, observed, hash, bytes)
        RETURNING 1),
      versions AS (
        INSERT INTO pecr_source_versions (source_system, object_id, version_id, first_observed_as_of, byte_length, bytes)
        SELECT u.source, u.object, u.version, u.observed, u.length, decode(u.bytes, 'hex')
        FROM unnest(${sv.sources}::text[], ${sv.objects}::text[], ${sv.versions}::text[], ${sv.observed}::text[]::timestamptz[],
          ${sv.lengths}::text[]::bigint[], ${sv.bytes}::text[]) AS u(source, object, version, observed, length, bytes)
        RETURNING 1),
      events AS (
        INSERT INTO pecr_events (chain_id, seq, event_id, event_type, event_time, trace_id, session_id,
          principal_id, policy_snapshot_id, request_id, prev_hash, event_hash, canonical_bytes)
        SELECT ${options.chainId}::text, u.seq, u.event_id, u.event_type, u.event_time, u.trace_id, u.session_id,
          u.principal_id, u.policy_snapshot_id, u.request_id, u.prev_hash, u.event_hash, decode(u.bytes, 'hex')
        FROM unnest(${evt.seqs}::text[]::bigint[], ${evt.ids}::text[], ${evt.types}::text[],
          ${evt.times}::text[]::timestamptz[], ${evt.traces}::text[], ${evt.sessions}::text[], ${evt.principals}::text[],
          ${evt.snapshots}::text[], ${evt.requests}::text[], ${evt.prevHashes}::text[], ${evt.hashes}::text[],
          ${evt.bytes}::text[])
          AS u(seq, event_id, event_type, event_time, trace_id, session_id, principal_id, policy_snapshot_id,
            request_id, prev_hash, event_hash, bytes)
        RETURNING 1)
    SELECT pecr_require((SELECT count(*) FROM moved) = 1, 'chain head moved')
      AND pecr_require((SELECT count(*) FROM changed WHERE required) = ${rt.requiredCount},
        ${RUNTIME_NOT_UPDATED}::text)
      AND (SELECT count(*) FROM snapshots) + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM runtimes)
        + (SELECT count(*) FROM evidence) + (SELECT count(*) FROM claim_maps) + (SELECT count(*) FROM versions)
        + (SELECT count(*) FROM events) >= 0 AS ok`,
  };
}
