/**
 * A fast, strict reader of a stored `pecr.v1.LedgerEvent`'s top-level fields, for verification at scale.
 *
 * Why not `fromBinary`: verification reads every event of the chain, and building the full message (every
 * payload sub-message, by reflection) costs several times more than hashing it; the target is 100k events/s.
 * This reader uses protobuf-es's own `BinaryReader` for the wire format and the generated descriptor for field
 * numbers (so a new payload case needs no change here), reads only the envelope fields that are compared with
 * the indexed columns, and leaves the payload as bytes: callers decode it with `fromBinary` when they need it.
 * It is stricter than `fromBinary`: unknown fields, repeated fields and fields out of canonical (field-number)
 * order are errors. `event-scan.test.ts` checks it against `fromBinary` on generated events.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { LedgerEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";

/** ScanError is thrown for bytes that are not a canonical `pecr.v1.LedgerEvent`. */
export class ScanError extends Error {
  override readonly name = "ScanError";
}

/** The envelope of an event, as read from its bytes. */
export interface ScannedEvent {
  /** `domain`. */
  readonly domain: string;
  /** `schema_version`. */
  readonly schemaVersion: number;
  /** `chain_id`. */
  readonly chainId: string;
  /** `seq`. */
  readonly seq: bigint;
  /** `prev_hash`. */
  readonly prevHash: string;
  /** `event_id`. */
  readonly eventId: string;
  /** `event_time` as decimal microseconds since the epoch; "" when unset; never a number for sub-µs nanos. */
  readonly eventTimeMicros: string;
  /** `trace_id`. */
  readonly traceId: string;
  /** `session_id`. */
  readonly sessionId: string;
  /** `principal_id`. */
  readonly principalId: string;
  /** `policy_snapshot_id`. */
  readonly policySnapshotId: string;
  /** `request_id`. */
  readonly requestId: string;
  /** The payload's case (`policyDecision`, ...), undefined when no payload is set. */
  readonly payloadCase: string | undefined;
  /** The payload's message type. */
  readonly payloadSchema: DescMessage | undefined;
  /** The payload's encoded bytes. */
  readonly payloadBytes: Uint8Array | undefined;
}

const FIELD = LedgerEventSchema.field;
const PAYLOADS = new Map<number, { localName: string; schema: DescMessage }>();
for (const field of LedgerEventSchema.fields) {
  if (field.oneof?.name === "payload" && field.fieldKind === "message") {
    PAYLOADS.set(field.number, { localName: field.localName, schema: field.message });
  }
}

function expectWireType(actual: WireType, expected: WireType, number: number): void {
  if (actual !== expected) throw new ScanError(`field ${number} has wire type ${actual}, expected ${expected}`);
}

function readTimestampMicros(bytes: Uint8Array): string {
  const reader = new BinaryReader(bytes);
  let seconds = 0n;
  let nanos = 0;
  let last = 0;
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number <= last) throw new ScanError("event_time fields out of canonical order");
    last = number;
    expectWireType(wireType, WireType.Varint, number);
    if (number === TimestampSchema.field.seconds.number) seconds = BigInt(reader.int64());
    else if (number === TimestampSchema.field.nanos.number) nanos = reader.int32();
    else throw new ScanError(`unknown event_time field ${number}`);
  }
  if (nanos % 1000 !== 0) return `${seconds}s+${nanos}ns`;
  return (seconds * 1_000_000n + BigInt(nanos / 1000)).toString();
}

/** Reads the envelope of a stored event; throws ScanError for non-canonical or malformed bytes. */
export function scanLedgerEvent(bytes: Uint8Array): ScannedEvent {
  const reader = new BinaryReader(bytes);
  const event = {
    domain: "",
    schemaVersion: 0,
    chainId: "",
    seq: 0n,
    prevHash: "",
    eventId: "",
    eventTimeMicros: "",
    traceId: "",
    sessionId: "",
    principalId: "",
    policySnapshotId: "",
    requestId: "",
    payloadCase: undefined as string | undefined,
    payloadSchema: undefined as DescMessage | undefined,
    payloadBytes: undefined as Uint8Array | undefined,
  };
  let last = 0;
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number <= last) throw new ScanError(`field ${number} out of canonical order`);
    last = number;
    switch (number) {
      case FIELD.schemaVersion.number:
        expectWireType(wireType, WireType.Varint, number);
        event.schemaVersion = reader.uint32();
        break;
      case FIELD.seq.number:
        expectWireType(wireType, WireType.Varint, number);
        event.seq = BigInt(reader.uint64());
        break;
      case FIELD.eventTime.number:
        expectWireType(wireType, WireType.LengthDelimited, number);
        event.eventTimeMicros = readTimestampMicros(reader.bytes());
        break;
      case FIELD.domain.number:
      case FIELD.chainId.number:
      case FIELD.prevHash.number:
      case FIELD.eventId.number:
      case FIELD.traceId.number:
      case FIELD.sessionId.number:
      case FIELD.principalId.number:
      case FIELD.policySnapshotId.number:
      case FIELD.requestId.number: {
        expectWireType(wireType, WireType.LengthDelimited, number);
        const value = reader.string(true);
        if (number === FIELD.domain.number) event.domain = value;
        else if (number === FIELD.chainId.number) event.chainId = value;
        else if (number === FIELD.prevHash.number) event.prevHash = value;
        else if (number === FIELD.eventId.number) event.eventId = value;
        else if (number === FIELD.traceId.number) event.traceId = value;
        else if (number === FIELD.sessionId.number) event.sessionId = value;
        else if (number === FIELD.principalId.number) event.principalId = value;
        else if (number === FIELD.policySnapshotId.number) event.policySnapshotId = value;
        else event.requestId = value;
        break;
      }
      default: {
        const payload = PAYLOADS.get(number);
        if (payload === undefined) throw new ScanError(`unknown field ${number}`);
        // Fields are strictly increasing, so a second payload case cannot follow the first one unnoticed.
        if (event.payloadCase !== undefined) throw new ScanError("more than one payload");
        expectWireType(wireType, WireType.LengthDelimited, number);
        event.payloadCase = payload.localName;
        event.payloadSchema = payload.schema;
        event.payloadBytes = reader.bytes();
      }
    }
  }
  return event;
}
