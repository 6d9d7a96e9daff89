/**
 * Reading the ledger the way an auditor does (ListEvents, GetEvidence, VerifyLedger over RPC) and checking the
 * cross-cutting ledger properties the suites assert: the chain verifies, and no operator call is half-written
 * (each successful call's EVIDENCE_EMITTED events are all there and each emitted unit is stored).
 */
import type { ExecutionContext } from "ava";
import type { Client } from "@connectrpc/connect";
import type { GatewayService, LedgerEventRecord } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type LedgerEvent, OperatorOutcome } from "#gen/pecr/v1/ledger_pb.js";
import { jsonOf } from "./canaries.js";

/** The event payload kinds, as the suites name them (reference §4.2). */
export const EVENT_TYPES = {
  policyDecision: "POLICY_DECISION",
  operatorCall: "OPERATOR_CALL",
  evidenceEmitted: "EVIDENCE_EMITTED",
  finalizeResult: "FINALIZE_RESULT",
  sessionCreated: "SESSION_CREATED",
  budgetViolation: "BUDGET_VIOLATION",
  sourceVersionObserved: "SOURCE_VERSION_OBSERVED",
  leakDetected: "LEAK_DETECTED",
} as const;

/** An event's type name (`OPERATOR_CALL`, ...). */
export function eventType(event: LedgerEvent | undefined): string {
  const kind = event?.payload.case;
  return kind === undefined ? "UNKNOWN" : (EVENT_TYPES as Record<string, string>)[kind] ?? kind;
}

/** Every event matching the filter, all pages. */
export async function allEvents(
  auditor: Client<typeof GatewayService>,
  filter: { readonly sessionId?: string; readonly traceId?: string } = {},
): Promise<LedgerEventRecord[]> {
  const records: LedgerEventRecord[] = [];
  let afterSeq = 0n;
  for (;;) {
    const page = await auditor.listEvents({ afterSeq, pageSize: 1000, sessionId: filter.sessionId ?? "", traceId: filter.traceId ?? "" });
    records.push(...page.events);
    if (page.events.length === 0 || page.nextAfterSeq === 0n || page.nextAfterSeq === afterSeq) return records;
    afterSeq = page.nextAfterSeq;
  }
}

/** Asserts that VerifyLedger (as `auditor`) reports an intact chain; returns the events verified. */
export async function assertLedgerVerifies(t: ExecutionContext, auditor: Client<typeof GatewayService>): Promise<bigint> {
  const verification = (await auditor.verifyLedger({})).verification;
  t.true(verification?.ok === true, `ledger verification failed: ${jsonOf(verification?.firstBreak ?? null)}`);
  t.true((verification?.eventsVerified ?? 0n) > 0n);
  return verification?.eventsVerified ?? 0n;
}

/**
 * Half-written operator calls among `records` (all events of the chain): a successful OPERATOR_CALL whose
 * request has fewer EVIDENCE_EMITTED events than its evidence_count, an EVIDENCE_EMITTED without the
 * OPERATOR_CALL of its request, and (when `storedEvidenceIds` is given, i.e. read from the evidence table) an
 * emitted unit that is not stored or a stored unit no event emitted. Returns one line per problem.
 */
export function halfWrittenCalls(records: readonly LedgerEventRecord[], storedEvidenceIds?: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const key = (event: LedgerEvent) => `${event.sessionId}/${event.requestId}`;
  const emitted = new Map<string, number>();
  const emittedIds = new Set<string>();
  const calls = new Map<string, LedgerEvent[]>();
  for (const record of records) {
    const event = record.event;
    if (event === undefined) continue;
    if (event.payload.case === "evidenceEmitted") {
      emitted.set(key(event), (emitted.get(key(event)) ?? 0) + 1);
      emittedIds.add(event.payload.value.evidenceUnitId);
    } else if (event.payload.case === "operatorCall") {
      calls.set(key(event), [...(calls.get(key(event)) ?? []), event]);
    }
  }
  for (const [request, events] of calls) {
    const expected = events.reduce(
      (sum, event) => sum + (event.payload.case === "operatorCall" && event.payload.value.outcome === OperatorOutcome.SUCCESS ? event.payload.value.evidenceCount : 0),
      0,
    );
    const actual = emitted.get(request) ?? 0;
    if (actual !== expected) problems.push(`request ${request}: OPERATOR_CALL promises ${expected} units, ${actual} EVIDENCE_EMITTED`);
  }
  for (const request of emitted.keys()) {
    if (!calls.has(request)) problems.push(`request ${request}: EVIDENCE_EMITTED without its OPERATOR_CALL`);
  }
  if (storedEvidenceIds !== undefined) {
    for (const id of emittedIds) if (!storedEvidenceIds.has(id)) problems.push(`unit ${id.slice(0, 12)}… emitted but not stored`);
    for (const id of storedEvidenceIds) if (!emittedIds.has(id)) problems.push(`unit ${id.slice(0, 12)}… stored without EVIDENCE_EMITTED`);
  }
  return problems;
}
