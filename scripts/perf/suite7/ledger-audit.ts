/**
 * The audit after a scenario, done as an auditor would (principal `auditor`, over RPC): VerifyLedger must
 * report an intact chain, and every acknowledged call's events must be in it (nothing acknowledged is lost):
 * - an acknowledged Run: its session has exactly one FINALIZE_RESULT (the RunResponse carries the gateway's
 *   finalize verdict) and one OPERATOR_CALL per operator call the run reported, every event on the run's trace
 *   id; a run that ended SOURCE_UNAVAILABLE may have fewer OPERATOR_CALL events (a call that failed because the
 *   ledger was down could not be recorded), never more;
 * - an acknowledged operator call: its request id has a successful OPERATOR_CALL promising as many evidence
 *   units as were returned, and that many EVIDENCE_EMITTED events.
 * Under a fault that refuses every request nothing is acknowledged, so the audit also counts the refusals the
 * gateway recorded (it commits the event before it answers): each request refused SOURCE_UNAVAILABLE must have
 * exactly one matching event (`RefusalEvents`), so a refusal the ledger lost, or one the gateway never answered,
 * shows as a difference between the two counts.
 */
import type { Client } from "@connectrpc/connect";
import type { GatewayService, LedgerEventRecord } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type LedgerEvent, OperatorOutcome } from "#gen/pecr/v1/ledger_pb.js";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
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
  /** The refusals found, when the scenario expects some (undefined when ListEvents failed). */
  readonly refusals?: RefusalAudit;
  /** The sequence number of the last event read (undefined when ListEvents failed or listed none). */
  readonly lastSeq?: bigint;
}

/** The ledger event the gateway commits before answering one refused request of a fault scenario. */
export interface RefusalEvents {
  /** What is counted, for the report (`POLICY_DECISION create_session deny policy_engine_error`). */
  readonly label: string;
  /** Whether `event` records one such refusal. */
  matches(event: LedgerEvent): boolean;
}

/**
 * CreateSession refused because the policy engine failed: the POLICY_DECISION (action CREATE_SESSION, allowed
 * false, reason `policy_engine_error`) the gateway records outside any session before it answers
 * (services/gateway/sessions/create-session.ts). A controller makes one CreateSession per Run, without retries,
 * so a Run refused this way has exactly one such event; `principalId` keeps other callers' refusals out.
 */
export function policyEngineRefusals(principalId: string): RefusalEvents {
  return {
    label: "POLICY_DECISION create_session deny policy_engine_error",
    matches: (event) =>
      event.principalId === principalId &&
      event.payload.case === "policyDecision" &&
      event.payload.value.action === PolicyAction.CREATE_SESSION &&
      !event.payload.value.allow &&
      event.payload.value.reason === "policy_engine_error",
  };
}

/**
 * An operator call that failed at its source: the OPERATOR_CALL (outcome ERROR, `errorCode`) the gateway commits
 * before answering (services/gateway/operators/operator-pipeline.ts `fail`), on a request id starting with
 * `requestIdPrefix` (the workload's tag), so only the scenario's own calls are counted.
 */
export function operatorErrors(opName: string, errorCode: string, requestIdPrefix: string): RefusalEvents {
  return {
    label: `OPERATOR_CALL ${opName} ERROR ${errorCode}`,
    matches: (event) =>
      event.requestId.startsWith(requestIdPrefix) &&
      event.payload.case === "operatorCall" &&
      event.payload.value.opName === opName &&
      event.payload.value.outcome === OperatorOutcome.ERROR &&
      event.payload.value.errorCode === errorCode,
  };
}

/** A fault's refusals to find in the ledger. */
export interface ExpectedRefusals {
  /** The event recording one refusal. */
  readonly events: RefusalEvents;
  /** Requests the load saw refused (SOURCE_UNAVAILABLE from an error): each must have its event. */
  readonly refused: number;
}

/** What the refusal audit found. */
export interface RefusalAudit {
  /** Matching events among those read. */
  readonly recorded: number;
  /** Requests refused. */
  readonly refused: number;
  /**
   * As many events as refusals, and some refusals: fewer events means refusals the ledger lost (or errors the
   * gateway never answered); more means answers the load never saw; none at all means the check saw nothing.
   */
  readonly ok: boolean;
}

/** Counts the events of `expected` among `records` and compares them with the refusals. */
export function auditRefusals(expected: ExpectedRefusals, records: readonly LedgerEventRecord[]): RefusalAudit {
  const recorded = records.filter((record) => record.event !== undefined && expected.events.matches(record.event)).length;
  return { recorded, refused: expected.refused, ok: expected.refused > 0 && recorded === expected.refused };
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
 * Verifies the chain, checks `acknowledged` against the events after `afterSeq` and, when given, audits the
 * `refusals` among them. Never throws: an audit RPC that fails (a gateway that no longer answers) is reported as
 * a failed verification or a problem line.
 */
export async function auditScenario(
  auditor: Client<typeof GatewayService>,
  afterSeq: bigint,
  acknowledged: readonly Acknowledged[],
  refusals?: ExpectedRefusals,
): Promise<AuditResult> {
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
  const lastSeq = records.at(-1)?.event?.seq;
  return {
    verification,
    acknowledged: acknowledged.length,
    eventsRead: records.length,
    problems: problems.slice(0, 20),
    problemCount: problems.length,
    rpcFailed: verification.firstBreak?.startsWith("VerifyLedger failed") === true,
    ...(refusals === undefined ? {} : { refusals: auditRefusals(refusals, records) }),
    ...(lastSeq === undefined ? {} : { lastSeq }),
  };
}
