/**
 * The audit after a scenario, done as an auditor would (principal `auditor`, over RPC): VerifyLedger must
 * report an intact chain, and every acknowledged call's events must be in it (nothing acknowledged is lost):
 * - an acknowledged Run: its session has exactly one FINALIZE_RESULT (the RunResponse carries the gateway's
 *   finalize verdict) and one OPERATOR_CALL per operator call the run reported, every event on the run's trace
 *   id; a run that ended SOURCE_UNAVAILABLE may have fewer OPERATOR_CALL events (a call that failed because the
 *   ledger was down could not be recorded), never more;
 * - an acknowledged operator call: its request id has a successful OPERATOR_CALL promising as many evidence
 *   units as were returned, and that many EVIDENCE_EMITTED events.
 */
import type { Client } from "@connectrpc/connect";
import type { GatewayService, LedgerEventRecord } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type LedgerEvent, OperatorOutcome } from "#gen/pecr/v1/ledger_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { Acknowledged } from "./call-outcome.js";

/** What VerifyLedger reported. */
export interface ChainVerification {
  /** The chain is intact. */
  readonly ok: boolean;
  /** Events verified. */
  readonly eventsVerified: number;
  /** The head's sequence number. */
  readonly headSeq: bigint;
  /** The first break, as JSON, when not ok. */
  readonly firstBreak?: string;
}

/** The result of auditing a scenario. */
export interface AuditResult {
  /** VerifyLedger's answer. */
  readonly verification: ChainVerification;
  /** Acknowledged calls checked. */
  readonly acknowledged: number;
  /** Events read (those after the scenario's starting head). */
  readonly eventsRead: number;
  /** One line per missing or inconsistent event (at most 20 kept). */
  readonly problems: string[];
  /** Problems found in all. */
  readonly problemCount: number;
  /** An audit RPC failed (the gateway did not answer), so the figures say nothing about the ledger itself. */
  readonly rpcFailed: boolean;
}

/** Bound on one audit RPC (`PECR_PERF_AUDIT_TIMEOUT_MS`, default 30 s): a stuck gateway fails the audit, not the suite. */
export function auditTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.PECR_PERF_AUDIT_TIMEOUT_MS ?? 30_000);
  return Number.isFinite(value) && value > 0 ? value : 30_000;
}

/** Asks VerifyLedger. */
export async function verifyChain(auditor: Client<typeof GatewayService>): Promise<ChainVerification> {
  const { verification } = await auditor.verifyLedger({}, { timeoutMs: auditTimeoutMs() });
  return {
    ok: verification?.ok === true,
    eventsVerified: Number(verification?.eventsVerified ?? 0n),
    headSeq: verification?.headSeq ?? 0n,
    ...(verification?.ok === true ? {} : { firstBreak: JSON.stringify(verification?.firstBreak ?? null, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value)) }),
  };
}

/** Every event after `afterSeq`, all pages. */
export async function eventsAfter(auditor: Client<typeof GatewayService>, afterSeq: bigint): Promise<LedgerEventRecord[]> {
  const records: LedgerEventRecord[] = [];
  let cursor = afterSeq;
  for (;;) {
    const page = await auditor.listEvents({ afterSeq: cursor, pageSize: 1000 }, { timeoutMs: auditTimeoutMs() });
    records.push(...page.events);
    if (page.events.length === 0 || page.nextAfterSeq === 0n || page.nextAfterSeq === cursor) return records;
    cursor = page.nextAfterSeq;
  }
}

/** The sequence number of the last event after `afterSeq` (or `afterSeq` when there is none). */
export async function headAfter(auditor: Client<typeof GatewayService>, afterSeq: bigint): Promise<{ headSeq: bigint; events: number }> {
  const events = await eventsAfter(auditor, afterSeq);
  return { headSeq: events.at(-1)?.event?.seq ?? afterSeq, events: events.length };
}

/** Lines describing acknowledged calls whose events are missing or inconsistent among `records`. */
export function missingAcknowledged(acknowledged: readonly Acknowledged[], records: readonly LedgerEventRecord[]): string[] {
  const bySession = new Map<string, LedgerEvent[]>();
  for (const record of records) {
    const event = record.event;
    if (event === undefined) continue;
    const list = bySession.get(event.sessionId);
    if (list === undefined) bySession.set(event.sessionId, [event]);
    else list.push(event);
  }
  const problems: string[] = [];
  for (const ack of acknowledged) {
    const events = bySession.get(ack.sessionId) ?? [];
    if (ack.kind === "run") {
      const finalizes = events.filter((event) => event.payload.case === "finalizeResult").length;
      const calls = events.filter((event) => event.payload.case === "operatorCall").length;
      const foreign = events.filter((event) => event.traceId !== ack.traceId).length;
      if (finalizes !== 1) problems.push(`run ${ack.traceId} (session ${ack.sessionId}): ${finalizes} FINALIZE_RESULT events, expected 1`);
      const callsOk = ack.mode === TerminalMode.SOURCE_UNAVAILABLE ? calls <= ack.operatorCalls : calls === ack.operatorCalls;
      if (!callsOk) problems.push(`run ${ack.traceId} (session ${ack.sessionId}): ${calls} OPERATOR_CALL events, the run reported ${ack.operatorCalls}`);
      if (foreign > 0) problems.push(`run ${ack.traceId} (session ${ack.sessionId}): ${foreign} events on another trace id`);
    } else {
      const mine = events.filter((event) => event.requestId === ack.requestId);
      const call = mine.find((event) => event.payload.case === "operatorCall");
      const emitted = mine.filter((event) => event.payload.case === "evidenceEmitted").length;
      if (call?.payload.case !== "operatorCall") {
        problems.push(`call ${ack.requestId} (session ${ack.sessionId}): no OPERATOR_CALL event`);
        continue;
      }
      if (call.payload.value.outcome !== OperatorOutcome.SUCCESS) problems.push(`call ${ack.requestId}: OPERATOR_CALL outcome ${OperatorOutcome[call.payload.value.outcome]}`);
      if (call.payload.value.evidenceCount !== ack.evidenceCount || emitted !== ack.evidenceCount) {
        problems.push(`call ${ack.requestId}: returned ${ack.evidenceCount} units, OPERATOR_CALL promises ${call.payload.value.evidenceCount}, ${emitted} EVIDENCE_EMITTED`);
      }
    }
  }
  return problems;
}

/**
 * Verifies the chain and checks `acknowledged` against the events after `afterSeq`. Never throws: an audit RPC
 * that fails (a gateway that no longer answers) is reported as a failed verification or a problem line.
 */
export async function auditScenario(auditor: Client<typeof GatewayService>, afterSeq: bigint, acknowledged: readonly Acknowledged[]): Promise<AuditResult> {
  const verification = await verifyChain(auditor).catch(
    (error: unknown): ChainVerification => ({ ok: false, eventsVerified: 0, headSeq: afterSeq, firstBreak: `VerifyLedger failed: ${String(error)}` }),
  );
  let records: LedgerEventRecord[];
  try {
    records = await eventsAfter(auditor, afterSeq);
  } catch (error) {
    const problem = `ListEvents failed: ${String(error)}`;
    return { verification, acknowledged: acknowledged.length, eventsRead: 0, problems: [problem], problemCount: 1, rpcFailed: true };
  }
  const problems = missingAcknowledged(acknowledged, records);
  return {
    verification,
    acknowledged: acknowledged.length,
    eventsRead: records.length,
    problems: problems.slice(0, 20),
    problemCount: problems.length,
    rpcFailed: verification.firstBreak?.startsWith("VerifyLedger failed") === true,
  };
}
