import { readFile } from "node:fs/promises";
import test from "ava";
import { create, fromBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { LedgerEventSchema, PolicyDecisionEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { domainHash, ZERO_HASH } from "#core/canonical/domain-hash.js";
import { eventTypeOf, evidenceRow, LedgerRecordError, sealEvent, sealEvents, snapshotRow } from "./ledger-records.js";
import type { UnsealedEvent } from "./ledger-types.js";
import { TimePrecisionError } from "./sql-time.js";
import { evidenceUnit, sessionUnit, createFixtureIds } from "../../../test/integration/ledger/ledger-fixtures.js";

function decision(i: number, nanos = 0): UnsealedEvent {
  return {
    eventId: `evt-${i}`,
    eventTime: create(TimestampSchema, { seconds: 1_767_225_600n + BigInt(i), nanos }),
    traceId: "trace",
    sessionId: "session",
    principalId: "dev",
    policySnapshotId: "snapshot",
    requestId: `req-${i}`,
    payload: { case: "policyDecision", value: create(PolicyDecisionEventSchema, { opName: "search", allow: true }) },
  };
}

test("record builders read no clock and draw no randomness", async (t) => {
  const source = await readFile(new URL("./ledger-records.ts", import.meta.url), "utf8");
  for (const forbidden of [/Date\.now/, /new Date\(/, /Math\.random/, /randomUUID/, /randomBytes/, /performance\.now/, /hrtime/, /ulid\(/]) {
    t.false(forbidden.test(source), `ledger-records.ts uses ${forbidden.source}`);
  }
});

test("sealed events link each to the previous one and hash their canonical bytes", (t) => {
  const sealed = sealEvents([decision(1), decision(2), decision(3)], "main", { seq: 0n, hash: ZERO_HASH });
  t.deepEqual(sealed.map((e) => e.seq), [1n, 2n, 3n]);
  t.is(sealed[0]?.prevHash, ZERO_HASH);
  t.is(sealed[1]?.prevHash, sealed[0]?.eventHash);
  t.is(sealed[2]?.prevHash, sealed[1]?.eventHash);
  for (const event of sealed) {
    t.is(event.eventHash, domainHash("pecr.v1.LedgerEvent", event.canonicalBytes));
    const decoded = fromBinary(LedgerEventSchema, event.canonicalBytes);
    t.like(decoded, { domain: "pecr.ledger_event", schemaVersion: 1, chainId: "main", seq: event.seq, prevHash: event.prevHash });
    t.is(event.eventType, "POLICY_DECISION");
  }
  // Same input, same bytes: nothing hidden goes into a record.
  t.deepEqual(sealEvents([decision(1)], "main", { seq: 0n, hash: ZERO_HASH })[0]?.canonicalBytes, sealed[0]?.canonicalBytes);
});

test("event types are the payload cases in upper snake case", (t) => {
  t.is(eventTypeOf("policyDecision"), "POLICY_DECISION");
  t.is(eventTypeOf("sourceVersionObserved"), "SOURCE_VERSION_OBSERVED");
  t.is(eventTypeOf("leakDetected"), "LEAK_DETECTED");
});

test("an event time the database would round is refused", (t) => {
  t.throws(() => sealEvent(decision(1, 1500), "main", 1n, ZERO_HASH), { instanceOf: TimePrecisionError });
  t.notThrows(() => sealEvent(decision(1, 2000), "main", 1n, ZERO_HASH));
});

test("an evidence unit or snapshot whose stated hash does not match its content is refused", (t) => {
  const ids = createFixtureIds("r");
  const { session } = sessionUnit(ids);
  const unit = evidenceUnit(session, "a.txt", "alpha");
  t.notThrows(() => evidenceRow({ unit, traceId: "t", sessionId: "s" }, "metadata-only"));
  t.throws(() => evidenceRow({ unit: { ...unit, objectId: "b.txt" }, traceId: "t", sessionId: "s" }, "metadata-only"), {
    instanceOf: LedgerRecordError,
    message: "evidence_unit_id does not match",
  });
  t.throws(() => evidenceRow({ unit: { ...unit, content: { case: "text", value: "beta" } }, traceId: "t", sessionId: "s" }, "payload-enabled"), {
    message: "content_hash does not match",
  });
  t.is(evidenceRow({ unit, traceId: "t", sessionId: "s" }, "metadata-only").payload, null);
  t.truthy(evidenceRow({ unit, traceId: "t", sessionId: "s" }, "payload-enabled").payload);
  t.throws(() => snapshotRow({ ...session.snapshot, tenantId: "other" }), { message: "policy_snapshot_hash does not match" });
});
