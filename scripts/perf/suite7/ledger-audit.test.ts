/**
 * The audit rule "nothing acknowledged is lost", on hand-built ledger events.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { type LedgerEventRecord, LedgerEventRecordSchema } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type LedgerEvent, LedgerEventSchema, OperatorOutcome } from "#gen/pecr/v1/ledger_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { Acknowledged } from "./call-outcome.js";
import { missingAcknowledged } from "./ledger-audit.js";

function record(sessionId: string, requestId: string, payload: LedgerEvent["payload"], traceId = "T1"): LedgerEventRecord {
  return create(LedgerEventRecordSchema, { event: create(LedgerEventSchema, { sessionId, requestId, traceId, payload }) });
}
const operatorCall = (evidenceCount: number, outcome = OperatorOutcome.SUCCESS): LedgerEvent["payload"] => ({
  case: "operatorCall",
  value: { $typeName: "pecr.v1.OperatorCallEvent", opName: "fetch_rows", paramsHash: "", paramsBytes: 0n, resultBytes: 0n, cacheHit: false, outcome, errorCode: "", terminalMode: 0, evidenceCount },
});
const emitted: LedgerEvent["payload"] = {
  case: "evidenceEmitted",
  value: { $typeName: "pecr.v1.EvidenceEmittedEvent", evidenceUnitId: "e", contentHash: "", sourceSystem: "", objectId: "", versionId: "", opName: "fetch_rows" },
};
const finalize: LedgerEvent["payload"] = { case: "finalizeResult", value: create((await import("#gen/pecr/v1/ledger_pb.js")).FinalizeResultEventSchema) };

const run = (operatorCalls: number, mode = TerminalMode.INSUFFICIENT_EVIDENCE): Acknowledged => ({ kind: "run", sessionId: "S1", traceId: "T1", operatorCalls, mode });

test("an acknowledged run whose finalize and operator calls are all in the ledger has no problem", (t) => {
  const events = [record("S1", "r", operatorCall(1)), record("S1", "r", emitted), record("S1", "r", operatorCall(0)), record("S1", "r", finalize)];
  t.deepEqual(missingAcknowledged([run(2)], events), []);
});

test("an acknowledged run missing its FINALIZE_RESULT or an OPERATOR_CALL, or with events on another trace, is reported", (t) => {
  t.is(missingAcknowledged([run(1)], [record("S1", "r", operatorCall(0))]).length, 1);
  t.regex(missingAcknowledged([run(2)], [record("S1", "r", operatorCall(0)), record("S1", "r", finalize)])[0] ?? "", /1 OPERATOR_CALL events, the run reported 2/);
  t.regex(missingAcknowledged([run(0)], [record("S1", "r", finalize, "T2")])[0] ?? "", /on another trace id/);
});

test("a run that ended SOURCE_UNAVAILABLE may lack the calls the ledger could not record, but not its finalize", (t) => {
  t.deepEqual(missingAcknowledged([run(3, TerminalMode.SOURCE_UNAVAILABLE)], [record("S1", "r", operatorCall(0)), record("S1", "r", finalize)]), []);
  t.is(missingAcknowledged([run(3, TerminalMode.SOURCE_UNAVAILABLE)], [record("S1", "r", operatorCall(0))]).length, 1);
});

test("an acknowledged operator call needs its successful OPERATOR_CALL and every EVIDENCE_EMITTED", (t) => {
  const call: Acknowledged = { kind: "operator", sessionId: "S2", requestId: "s7-1-1", evidenceCount: 1 };
  t.deepEqual(missingAcknowledged([call], [record("S2", "s7-1-1", operatorCall(1)), record("S2", "s7-1-1", emitted)]), []);
  t.regex(missingAcknowledged([call], [record("S2", "other", operatorCall(1))])[0] ?? "", /no OPERATOR_CALL/);
  t.regex(missingAcknowledged([call], [record("S2", "s7-1-1", operatorCall(1))])[0] ?? "", /0 EVIDENCE_EMITTED/);
  t.regex(missingAcknowledged([call], [record("S2", "s7-1-1", operatorCall(1, OperatorOutcome.ERROR)), record("S2", "s7-1-1", emitted)])[0] ?? "", /outcome ERROR/);
});
