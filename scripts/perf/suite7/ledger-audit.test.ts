/**
 * The audit rules "nothing acknowledged is lost" and "every refusal is recorded", on hand-built ledger events.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { type LedgerEventRecord, LedgerEventRecordSchema } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type LedgerEvent, LedgerEventSchema, OperatorOutcome, PolicyDecisionEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { Acknowledged } from "./call-outcome.js";
import { auditRefusals, missingAcknowledged, operatorErrors, policyEngineRefusals } from "./ledger-audit.js";

function record(sessionId: string, requestId: string, payload: LedgerEvent["payload"], traceId = "T1", principalId = "dev"): LedgerEventRecord {
  return create(LedgerEventRecordSchema, { event: create(LedgerEventSchema, { sessionId, requestId, traceId, principalId, payload }) });
}
const operatorCall = (evidenceCount: number, outcome = OperatorOutcome.SUCCESS, errorCode = ""): LedgerEvent["payload"] => ({
  case: "operatorCall",
  value: { $typeName: "pecr.v1.OperatorCallEvent", opName: "fetch_rows", paramsHash: "", paramsBytes: 0n, resultBytes: 0n, cacheHit: false, outcome, errorCode, terminalMode: 0, evidenceCount },
});
const decision = (action: PolicyAction, allow: boolean, reason: string): LedgerEvent["payload"] => ({
  case: "policyDecision",
  value: create(PolicyDecisionEventSchema, { action, opName: "create_session", allow, reason }),
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

test("each CreateSession refused for a policy engine error is one POLICY_DECISION deny, and only the load principal's count", (t) => {
  const refusal = decision(PolicyAction.CREATE_SESSION, false, "policy_engine_error");
  const events = [
    record("", "r1", refusal),
    record("", "r2", refusal),
    record("", "r3", refusal, "T1", "auditor"),
    record("", "r4", decision(PolicyAction.CREATE_SESSION, false, "policy_deny")),
    record("S1", "r5", decision(PolicyAction.CREATE_SESSION, true, "policy_allow")),
    record("S1", "r6", decision(PolicyAction.FINALIZE, false, "policy_engine_error")),
    // Not a shape the gateway writes; it shows that only refusals count.
    record("S1", "r7", decision(PolicyAction.CREATE_SESSION, true, "policy_engine_error")),
  ];
  const refusals = policyEngineRefusals("dev");
  t.deepEqual(auditRefusals({ events: refusals, refused: 2 }, events), { recorded: 2, refused: 2, ok: true });
  t.deepEqual(auditRefusals({ events: refusals, refused: 3 }, events), { recorded: 2, refused: 3, ok: false }, "a refusal the ledger lost");
  t.false(auditRefusals({ events: refusals, refused: 1 }, events).ok, "an event for a refusal the load never saw");
});

test("each FetchRows failed at its source is one OPERATOR_CALL ERROR with the error code, on the workload's request ids", (t) => {
  const events = [
    record("S2", "s7-slow-view-0-0", operatorCall(0, OperatorOutcome.ERROR, "ERR_SOURCE_UNAVAILABLE")),
    record("S2", "s7-slow-view-0-1", operatorCall(0, OperatorOutcome.ERROR, "ERR_SOURCE_UNAVAILABLE")),
    record("S2", "s7-slow-view-0-2", operatorCall(0, OperatorOutcome.ERROR, "ERR_SOURCE_TIMEOUT")),
    record("S2", "s7-slow-view-0-3", operatorCall(1)),
    record("S3", "s7-other-0-0", operatorCall(0, OperatorOutcome.ERROR, "ERR_SOURCE_UNAVAILABLE")),
  ];
  const failures = operatorErrors("fetch_rows", "ERR_SOURCE_UNAVAILABLE", "s7-slow-view-");
  t.deepEqual(auditRefusals({ events: failures, refused: 2 }, events), { recorded: 2, refused: 2, ok: true });
});

test("a fault that refused nothing fails the refusal audit: a check that saw nothing proves nothing", (t) => {
  t.deepEqual(auditRefusals({ events: policyEngineRefusals("dev"), refused: 0 }, []), { recorded: 0, refused: 0, ok: false });
});
