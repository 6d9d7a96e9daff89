import { Buffer } from "node:buffer";
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { EvidenceEmittedEventSchema, PolicyDecisionEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { domainHash, ZERO_HASH } from "#core/canonical/domain-hash.js";
import { sealEvents } from "./ledger-records.js";
import type { SealedEvent, UnsealedEvent } from "./ledger-types.js";
import { checkEventPage, type EventRow } from "./verify-events.js";

function unsealed(i: number): UnsealedEvent {
  return {
    eventId: `evt-${i}`,
    eventTime: create(TimestampSchema, { seconds: 1_767_225_600n + BigInt(i), nanos: 5_000_000 }),
    traceId: "trace",
    sessionId: "session",
    principalId: "dev",
    policySnapshotId: "snapshot",
    requestId: `req-${i}`,
    payload:
      i % 2 === 0
        ? { case: "policyDecision", value: create(PolicyDecisionEventSchema, { opName: "search", allow: true }) }
        : { case: "evidenceEmitted", value: create(EvidenceEmittedEventSchema, { evidenceUnitId: `unit-${i}` }) },
  };
}

function row(event: SealedEvent): EventRow {
  const time = event.event.eventTime;
  return {
    seq: event.seq,
    event_hash: event.eventHash,
    chain_id: "main",
    event_id: event.event.eventId,
    event_type: event.eventType,
    event_us: time === undefined ? "" : (time.seconds * 1_000_000n + BigInt(time.nanos / 1000)).toString(),
    trace_id: event.event.traceId,
    session_id: event.event.sessionId,
    principal_id: event.event.principalId,
    policy_snapshot_id: event.event.policySnapshotId,
    request_id: event.event.requestId,
    prev_hash: event.prevHash,
    bytes_b64: Buffer.from(event.canonicalBytes).toString("base64"),
  };
}

const START = { seq: 0n, hash: ZERO_HASH };
const sealed = sealEvents([1, 2, 3, 4, 5].map(unsealed), "main", START);
const rows = sealed.map(row);

test("an intact page verifies and yields the evidence it vouches for", (t) => {
  const result = checkEventPage(rows, "main", START);
  t.is(result.firstBreak, undefined);
  t.is(result.verified, 5);
  t.deepEqual(
    result.references.map((r) => (r.kind === "evidence" ? [r.seq, r.evidenceUnitId] : [])),
    [[1n, "unit-1"], [3n, "unit-3"], [5n, "unit-5"]],
  );
});

test("a flipped byte breaks the event's hash", (t) => {
  const bytes = Buffer.from(rows[2]?.bytes_b64 ?? "", "base64");
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  const tampered = rows.map((r, i) => (i === 2 ? { ...r, bytes_b64: bytes.toString("base64") } : r));
  const result = checkEventPage(tampered, "main", START);
  t.like(result.firstBreak, { seq: 3n, table: "pecr_events", field: "event_hash", actual: rows[2]?.event_hash });
  t.is(result.verified, 2);
});

test("a column that disagrees with the hashed bytes is reported by name", (t) => {
  const tampered = rows.map((r, i) => (i === 3 ? { ...r, policy_snapshot_id: "other-snapshot" } : r));
  t.like(checkEventPage(tampered, "main", START).firstBreak, {
    seq: 4n,
    field: "policy_snapshot_id",
    expected: "snapshot",
    actual: "other-snapshot",
  });
});

test("a gap, a broken link and a wrong chain are breaks", (t) => {
  t.like(checkEventPage([rows[0], rows[2]] as EventRow[], "main", START).firstBreak, { seq: 2n, field: "seq", actual: "3" });
  t.like(checkEventPage(rows.slice(1), "main", { seq: 1n, hash: "f".repeat(64) }).firstBreak, { seq: 2n, field: "prev_hash" });
  t.like(checkEventPage(rows, "other", START).firstBreak, { seq: 1n, field: "chain_id", expected: "main", actual: "other" });
});

test("re-hashed bytes carrying an unknown field are not a canonical event", (t) => {
  const bytes = Buffer.concat([Buffer.from(rows[0]?.bytes_b64 ?? "", "base64"), Buffer.from([0xf8, 0x06, 0x01])]);
  const forged = { ...rows[0], bytes_b64: bytes.toString("base64"), event_hash: domainHash("pecr.v1.LedgerEvent", bytes) } as EventRow;
  t.like(checkEventPage([forged], "main", START).firstBreak, { seq: 1n, field: "canonical_bytes" });
});
