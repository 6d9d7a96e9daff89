/**
 * Verification of a page of events, on its own: every event's hash recomputed from its stored bytes, its
 * position and link, and its decoded fields against its indexed columns. A page needs only the seq and hash
 * that precede it (read from the previous row's stored `event_hash`), so pages can be checked independently.
 * Cross-table references found in the page are returned for the caller to check.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { type LedgerBreak, LedgerBreakSchema, type LedgerEvent, LedgerEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { decodeBase64AndHash } from "#core/canonical/domain-hash.js";
import { type ScannedEvent, scanLedgerEvent } from "./event-scan.js";
import { eventTypeOf } from "./ledger-records.js";
import { type EventPayload, LEDGER_EVENT_DOMAIN, LEDGER_SCHEMA_VERSION } from "./ledger-types.js";

/** The events table. */
export const EVENTS_TABLE = "pecr_events";

/** The indexed columns of an events row that must agree with the event's hashed bytes, in the order checked. */
export const EVENT_COLUMNS = [
  "chain_id",
  "event_id",
  "event_type",
  "event_time",
  "trace_id",
  "session_id",
  "principal_id",
  "policy_snapshot_id",
  "request_id",
  "prev_hash",
] as const;

/**
 * An events row as read for verification: plain text columns (`event_time` as decimal microseconds in
 * `event_us`) and the canonical bytes as base64 — with postgres.js, separate text columns and base64 parse in
 * about 60% of the client time of a text array and hex.
 */
export interface EventRow {
  /** seq column. */
  readonly seq: bigint;
  /** event_hash column. */
  readonly event_hash: string;
  /** chain_id column. */
  readonly chain_id: string;
  /** event_id column. */
  readonly event_id: string;
  /** event_type column. */
  readonly event_type: string;
  /** event_time column, as decimal microseconds since the epoch. */
  readonly event_us: string;
  /** trace_id column. */
  readonly trace_id: string;
  /** session_id column. */
  readonly session_id: string;
  /** principal_id column. */
  readonly principal_id: string;
  /** policy_snapshot_id column. */
  readonly policy_snapshot_id: string;
  /** request_id column. */
  readonly request_id: string;
  /** prev_hash column. */
  readonly prev_hash: string;
  /** canonical_bytes column, base64-encoded. */
  readonly bytes_b64: string;
}

/** A row in another table that an event vouches for. */
export type EventReference =
  | {
      readonly kind: "evidence";
      readonly seq: bigint;
      readonly evidenceUnitId: string;
      readonly contentHash: string;
      readonly sourceSystem: string;
      readonly objectId: string;
      readonly versionId: string;
    }
  | { readonly kind: "claimMap"; readonly seq: bigint; readonly claimMapId: string; readonly claimMapHash: string }
  | {
      readonly kind: "session";
      readonly seq: bigint;
      readonly sessionId: string;
      readonly principalId: string;
      readonly policySnapshotId: string;
      readonly policySnapshotHash: string;
    }
  | {
      readonly kind: "version";
      readonly seq: bigint;
      readonly sourceSystem: string;
      readonly objectId: string;
      readonly versionId: string;
      readonly firstObservedUs: bigint;
      readonly byteLength: bigint;
    };

/** The result of checking a page. */
export interface PageResult {
  /** The first break in the page, if any (events after it are not checked). */
  readonly firstBreak?: LedgerBreak | undefined;
  /** Events checked without a break. */
  readonly verified: number;
  /** References of the verified events, in seq order. */
  readonly references: EventReference[];
}

/** Builds a break record. */
export function ledgerBreak(seq: bigint, table: string, field: string, expected: string, actual: string): LedgerBreak {
  return create(LedgerBreakSchema, { seq, table, field, expected, actual });
}

const EVENT_DOMAIN = LedgerEventSchema.typeName;

/** Checks `rows` (ascending seq) given the seq and hash expected before the first. */
export function checkEventPage(
  rows: readonly EventRow[],
  chainId: string,
  start: { readonly seq: bigint; readonly hash: string },
): PageResult {
  const references: EventReference[] = [];
  let expectedSeq = start.seq + 1n;
  let prevHash = start.hash;
  let verified = 0;
  for (const row of rows) {
    const found = checkEvent(row, chainId, expectedSeq, prevHash, references);
    if (found !== undefined) return { firstBreak: found, verified, references };
    verified++;
    expectedSeq = row.seq + 1n;
    prevHash = row.event_hash;
  }
  return { verified, references };
}

const EVENT_TYPES = new Map<string, string>();

/** The event type of a payload case (memoised: it is needed for every event verified). */
function eventType(payloadCase: string | undefined): string {
  if (payloadCase === undefined) return "";
  let type = EVENT_TYPES.get(payloadCase);
  if (type === undefined) {
    type = eventTypeOf(payloadCase as EventPayload["case"]);
    EVENT_TYPES.set(payloadCase, type);
  }
  return type;
}

function checkEvent(
  row: EventRow,
  chainId: string,
  expectedSeq: bigint,
  prevHash: string,
  references: EventReference[],
): LedgerBreak | undefined {
  if (row.seq !== expectedSeq) {
    // A gap (deleted row) or a row out of place: the break is at the seq that should have come next.
    return ledgerBreak(expectedSeq, EVENTS_TABLE, "seq", expectedSeq.toString(), row.seq.toString());
  }
  const seq = row.seq;
  const { bytes, hash: recomputed } = decodeBase64AndHash(EVENT_DOMAIN, row.bytes_b64);
  if (recomputed !== row.event_hash) return ledgerBreak(seq, EVENTS_TABLE, "event_hash", recomputed, row.event_hash);
  if (row.prev_hash !== prevHash) return ledgerBreak(seq, EVENTS_TABLE, "prev_hash", prevHash, row.prev_hash);

  let event: ScannedEvent;
  try {
    event = scanLedgerEvent(bytes);
  } catch (error) {
    return ledgerBreak(seq, EVENTS_TABLE, "canonical_bytes", "a canonical pecr.v1.LedgerEvent", String(error));
  }
  if (event.domain !== LEDGER_EVENT_DOMAIN) return ledgerBreak(seq, EVENTS_TABLE, "domain", LEDGER_EVENT_DOMAIN, event.domain);
  if (event.schemaVersion !== LEDGER_SCHEMA_VERSION) {
    return ledgerBreak(seq, EVENTS_TABLE, "schema_version", String(LEDGER_SCHEMA_VERSION), String(event.schemaVersion));
  }
  if (event.chainId !== chainId) return ledgerBreak(seq, EVENTS_TABLE, "chain_id", event.chainId, chainId);
  if (event.seq !== seq) return ledgerBreak(seq, EVENTS_TABLE, "seq", event.seq.toString(), seq.toString());
  // The hashed bytes are the truth; each indexed column must say the same (in EVENT_COLUMNS order).
  const type = eventType(event.payloadCase);
  const mismatch: number =
    row.chain_id !== event.chainId ? 0
    : row.event_id !== event.eventId ? 1
    : row.event_type !== type ? 2
    : row.event_us !== event.eventTimeMicros ? 3
    : row.trace_id !== event.traceId ? 4
    : row.session_id !== event.sessionId ? 5
    : row.principal_id !== event.principalId ? 6
    : row.policy_snapshot_id !== event.policySnapshotId ? 7
    : row.request_id !== event.requestId ? 8
    : row.prev_hash !== event.prevHash ? 9
    : -1;
  if (mismatch >= 0) {
    const decoded = [event.chainId, event.eventId, type, event.eventTimeMicros, event.traceId, event.sessionId,
      event.principalId, event.policySnapshotId, event.requestId, event.prevHash];
    const stored = [row.chain_id, row.event_id, row.event_type, row.event_us, row.trace_id, row.session_id,
      row.principal_id, row.policy_snapshot_id, row.request_id, row.prev_hash];
    return ledgerBreak(seq, EVENTS_TABLE, EVENT_COLUMNS[mismatch] ?? "", decoded[mismatch] ?? "", stored[mismatch] ?? "");
  }
  if (event.payloadCase === undefined) return ledgerBreak(seq, EVENTS_TABLE, "event_type", "a payload", "");
  return collectReference(seq, event, references);
}

/** Payloads that vouch for rows of other tables: decoded in full (and checked for unknown fields). */
const REFERENCING = new Set(["evidenceEmitted", "finalizeResult", "sessionCreated", "sourceVersionObserved"]);

function collectReference(seq: bigint, event: ScannedEvent, references: EventReference[]): LedgerBreak | undefined {
  if (!REFERENCING.has(event.payloadCase ?? "") || event.payloadSchema === undefined) return undefined;
  let payload: LedgerEvent["payload"];
  try {
    const value = fromBinary(event.payloadSchema, event.payloadBytes ?? new Uint8Array());
    if (value.$unknown !== undefined && value.$unknown.length > 0) throw new Error(`unknown field ${value.$unknown[0]?.no}`);
    payload = { case: event.payloadCase, value } as LedgerEvent["payload"];
  } catch (error) {
    return ledgerBreak(seq, EVENTS_TABLE, "canonical_bytes", `a canonical ${event.payloadSchema.typeName}`, String(error));
  }
  switch (payload.case) {
    case "evidenceEmitted":
      references.push({
        kind: "evidence",
        seq,
        evidenceUnitId: payload.value.evidenceUnitId,
        contentHash: payload.value.contentHash,
        sourceSystem: payload.value.sourceSystem,
        objectId: payload.value.objectId,
        versionId: payload.value.versionId,
      });
      break;
    case "finalizeResult":
      references.push({
        kind: "claimMap",
        seq,
        claimMapId: payload.value.claimMapId,
        claimMapHash: payload.value.claimMapHash,
      });
      break;
    case "sessionCreated":
      references.push({
        kind: "session",
        seq,
        sessionId: event.sessionId,
        principalId: payload.value.policySnapshot?.principalId ?? "",
        policySnapshotId: payload.value.policySnapshot?.policySnapshotId ?? "",
        policySnapshotHash: payload.value.policySnapshot?.policySnapshotHash ?? "",
      });
      break;
    case "sourceVersionObserved": {
      const at = payload.value.firstObservedAt;
      references.push({
        kind: "version",
        seq,
        sourceSystem: payload.value.sourceSystem,
        objectId: payload.value.objectId,
        versionId: payload.value.versionId,
        firstObservedUs: at === undefined ? 0n : at.seconds * 1_000_000n + BigInt(Math.trunc(at.nanos / 1000)),
        byteLength: payload.value.byteLength,
      });
      break;
    }
    default:
      break;
  }
  return undefined;
}
