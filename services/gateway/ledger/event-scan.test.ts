import test from "ava";
import fc from "fast-check";
import { create, equals, fromBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  EvidenceEmittedEventSchema,
  type LedgerEvent,
  LedgerEventSchema,
  OperatorCallEventSchema,
  PolicyDecisionEventSchema,
} from "#gen/pecr/v1/ledger_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { ScanError, scanLedgerEvent } from "./event-scan.js";

const text = fc.string({ unit: "grapheme", maxLength: 24 });
const payload = fc.oneof(
  text.map((opName) => ({ case: "policyDecision" as const, value: create(PolicyDecisionEventSchema, { opName, allow: true }) })),
  text.map((id) => ({ case: "evidenceEmitted" as const, value: create(EvidenceEmittedEventSchema, { evidenceUnitId: id }) })),
  fc.constant({ case: "operatorCall" as const, value: create(OperatorCallEventSchema, {}) }),
  fc.constant({ case: undefined }),
);
const event = fc.record({
  domain: text,
  schemaVersion: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  chainId: text,
  seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  prevHash: text,
  eventId: text,
  eventTime: fc.option(
    fc.record({ seconds: fc.bigInt({ min: -62_135_596_800n, max: 253_402_300_799n }), nanos: fc.integer({ min: 0, max: 999_999 }).map((n) => n * 1000) }),
    { nil: undefined },
  ),
  traceId: text,
  sessionId: text,
  principalId: text,
  policySnapshotId: text,
  requestId: text,
  payload,
});

test("the scanner reads the same envelope as fromBinary from canonical bytes", (t) => {
  fc.assert(
    fc.property(event, (init) => {
      const message = create(LedgerEventSchema, init as Parameters<typeof create<typeof LedgerEventSchema>>[1]);
      const bytes = canonicalBytes(LedgerEventSchema, message);
      const scanned = scanLedgerEvent(bytes);
      const decoded: LedgerEvent = fromBinary(LedgerEventSchema, bytes);
      const time = decoded.eventTime;
      return (
        scanned.domain === decoded.domain &&
        scanned.schemaVersion === decoded.schemaVersion &&
        scanned.chainId === decoded.chainId &&
        scanned.seq === decoded.seq &&
        scanned.prevHash === decoded.prevHash &&
        scanned.eventId === decoded.eventId &&
        scanned.eventTimeMicros === (time === undefined ? "" : (time.seconds * 1_000_000n + BigInt(time.nanos / 1000)).toString()) &&
        scanned.traceId === decoded.traceId &&
        scanned.sessionId === decoded.sessionId &&
        scanned.principalId === decoded.principalId &&
        scanned.policySnapshotId === decoded.policySnapshotId &&
        scanned.requestId === decoded.requestId &&
        scanned.payloadCase === decoded.payload.case &&
        (decoded.payload.case === undefined ||
          (scanned.payloadSchema !== undefined &&
            equals(
              scanned.payloadSchema,
              fromBinary(scanned.payloadSchema, scanned.payloadBytes ?? new Uint8Array()),
              decoded.payload.value,
            )))
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test("unknown, repeated or out-of-order fields are not canonical", (t) => {
  const base = canonicalBytes(LedgerEventSchema, create(LedgerEventSchema, { domain: "pecr.ledger_event", seq: 1n }));
  const unknown = new BinaryWriter().raw(base).tag(99, WireType.Varint).uint32(1).finish();
  t.throws(() => scanLedgerEvent(unknown), { instanceOf: ScanError, message: "unknown field 99" });
  const repeated = new BinaryWriter().raw(base).tag(4, WireType.Varint).uint64(2n).finish();
  t.throws(() => scanLedgerEvent(repeated), { instanceOf: ScanError, message: "field 4 out of canonical order" });
  const reversed = new BinaryWriter().tag(4, WireType.Varint).uint64(1n).tag(1, WireType.LengthDelimited).string("x").finish();
  t.throws(() => scanLedgerEvent(reversed), { instanceOf: ScanError });
  const twoPayloads = new BinaryWriter().tag(21, WireType.LengthDelimited).bytes(new Uint8Array()).tag(22, WireType.LengthDelimited).bytes(new Uint8Array()).finish();
  t.throws(() => scanLedgerEvent(twoPayloads), { message: "more than one payload" });
  const wrongType = new BinaryWriter().tag(1, WireType.Varint).uint32(1).finish();
  t.throws(() => scanLedgerEvent(wrongType), { instanceOf: ScanError });
});
