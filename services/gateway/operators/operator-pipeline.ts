/**
 * The one path every operator call takes (reference §2.6 and §11.1 item 5, with DESIGN.md §7's decisions):
 *
 *   session lease → session / finalized / principal / token checks → budget → allowlist → policy → operator
 *   → egress check → result-size budget → one atomic ledger unit (evidence, events, counters, lease release)
 *
 * Every call that passes the budget check is charged (denied and failed calls too), and every outcome is
 * recorded in the same unit of work as the counters, so the ledger never holds half a call.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { BudgetUsage } from "#gen/pecr/v1/budget_pb.js";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { operatorParamsDigest } from "#core/canonical/identities.js";
import { errors, PecrError } from "#core/errors/pecr-error.js";
import { asPecrError } from "#core/errors/to-connect-error.js";
import type { UnsealedEvent } from "../ledger/ledger-types.js";
import { buildPolicyInput } from "../policy/policy-input.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { openSession, type OpenSession, type SessionMode, withConflictRetry } from "../sessions/session-access.js";
import type { CallIdentity } from "./call-context.js";
import { checkEgress } from "./egress-check.js";
import {
  BudgetDimension,
  budgetViolationPayload,
  evidenceEmittedPayload,
  OperatorOutcome,
  operatorCallPayload,
  policyDecisionPayload,
  usageOf,
} from "./event-payloads.js";
import type { OperatorDefinition, OperatorExecution } from "./operator-definition.js";

/** The outcome of a successful call. */
export interface OperatorCallResult<R> {
  /** The operator's result. */
  readonly result: R;
  /** The session's counters after the call. */
  readonly usage: BudgetUsage;
}

/** Runs one operator call for `call` on `sessionId`. */
export async function runOperatorCall<P, R>(
  deps: GatewayDeps,
  definition: OperatorDefinition<P, R>,
  call: CallIdentity,
  sessionId: string,
  params: P,
): Promise<OperatorCallResult<R>> {
  return withConflictRetry(deps, (mode) => runOperatorCallOnce(deps, definition, call, sessionId, params, mode));
}

/** One attempt of `runOperatorCall`, on the session opened in `mode`. */
async function runOperatorCallOnce<P, R>(
  deps: GatewayDeps,
  definition: OperatorDefinition<P, R>,
  call: CallIdentity,
  sessionId: string,
  params: P,
  mode: SessionMode,
): Promise<OperatorCallResult<R>> {
  const { opName } = definition;
  const digest = operatorParamsDigest(definition.toOperatorParams(params));
  const open = await openSession(deps, call, sessionId, opName, mode);
  const { loaded, stamper } = open;
  const budget = loaded.session.budget;
  const callsUsed = loaded.runtime.operatorCallsUsed;
  const bytesUsed = loaded.runtime.bytesUsed;
  const paramsBytes = BigInt(digest.bytes);

  /** Ends the call with `events` and the charged counters, then throws `error`. */
  const fail = async (events: UnsealedEvent[], error: PecrError, charge: { calls: bigint; bytes: bigint } | undefined): Promise<never> => {
    await open.commitAndRelease({
      events,
      runtime:
        charge === undefined
          ? undefined
          : { kind: "update", sessionId, operatorCallsUsed: charge.calls, bytesUsed: charge.bytes, updatedAt: stamper.now() },
    });
    deps.metrics.operatorCall(opName, "error");
    throw error;
  };
  const charged = { calls: callsUsed + 1n, bytes: bytesUsed + paramsBytes };
  const callEvent = (outcome: OperatorOutcome, error: PecrError | undefined, resultBytes: number, evidenceCount: number, usage: BudgetUsage, cacheHit = false) =>
    stamper.event(
      operatorCallPayload({
        opName,
        paramsHash: digest.hash,
        paramsBytes: digest.bytes,
        resultBytes,
        cacheHit,
        outcome,
        errorCode: error?.code ?? "",
        terminalMode: error?.hint ?? TerminalMode.SUPPORTED,
        usage,
        evidenceCount,
      }),
    );

  try {
    // Budget: zero means zero. Refused calls are recorded but not charged (nothing ran).
    if (callsUsed >= BigInt(budget.maxOperatorCalls)) {
      deps.metrics.budgetViolation();
      return await fail(
        [stamper.event(budgetViolationPayload(opName, BudgetDimension.OPERATOR_CALLS, callsUsed, 1n, BigInt(budget.maxOperatorCalls)))],
        errors.budgetExceeded(),
        undefined,
      );
    }
    if (bytesUsed + paramsBytes > budget.maxBytes) {
      deps.metrics.budgetViolation();
      return await fail(
        [stamper.event(budgetViolationPayload(opName, BudgetDimension.BYTES, bytesUsed, paramsBytes, budget.maxBytes))],
        errors.budgetExceeded(),
        undefined,
      );
    }

    deps.logger.info(
      { trace_id: open.facts.traceId, request_id: call.requestId, session_id: sessionId, principal_id: call.principal.principalId, policy_snapshot_id: open.facts.policySnapshotId, operator_name: opName, params_hash: digest.hash, params_bytes: digest.bytes },
      "gateway.call_operator",
    );

    if (!deps.config.operatorAllowlist.includes(opName)) {
      const error = errors.invalidParams("operator not allowlisted");
      return await fail(
        [
          stamper.event(policyDecisionPayload(PolicyAction.OPERATOR_CALL, opName, false, "operator_not_allowlisted", digest.hash)),
          callEvent(OperatorOutcome.DENIED, error, 0, 0, usageOf(charged.calls, charged.bytes)),
        ],
        error,
        charged,
      );
    }

    const input = buildPolicyInput("operator_call", call.principal, open.facts, call.requestId, {
      target: { opName, paramsHash: digest.hash, paramsBytes: digest.bytes, ...definition.target(params) },
    });
    let decision;
    try {
      decision = await deps.policy.decide(input, { signal: call.signal });
    } catch (cause) {
      const error = cause instanceof PecrError ? cause : errors.sourceUnavailable("policy engine unavailable", { cause });
      deps.metrics.policyDecision("operator_call", "error");
      return await fail(
        [
          stamper.event(policyDecisionPayload(PolicyAction.OPERATOR_CALL, opName, false, "policy_engine_error", digest.hash)),
          callEvent(OperatorOutcome.ERROR, error, 0, 0, usageOf(charged.calls, charged.bytes)),
        ],
        error,
        charged,
      );
    }
    deps.metrics.policyDecision("operator_call", decision.allow ? "allow" : "deny");
    const decisionEvent = stamper.event(
      policyDecisionPayload(PolicyAction.OPERATOR_CALL, opName, decision.allow, decision.reason || (decision.allow ? "policy_allow" : "policy_deny"), digest.hash),
    );
    if (!decision.allow) {
      const error = errors.policyDenied();
      return await fail([decisionEvent, callEvent(OperatorOutcome.DENIED, error, 0, 0, usageOf(charged.calls, charged.bytes))], error, charged);
    }

    let execution: OperatorExecution<R>;
    try {
      execution = await definition.execute(
        {
          deps,
          principal: call.principal,
          requestId: call.requestId,
          paramsHash: digest.hash,
          session: open.facts,
          snapshot: open.snapshot,
          asOf: open.facts.asOfTime,
          emittedEvidence: new Set(loaded.runtime.evidenceUnitIds),
          decision,
          envelope: stamper.envelope,
          retrievedAt: timestampFromMs(deps.clock.now().getTime()),
          signal: call.signal,
        },
        params,
      );
    } catch (cause) {
      const error = asPecrError(cause);
      return await fail([decisionEvent, callEvent(OperatorOutcome.ERROR, error, 0, 0, usageOf(charged.calls, charged.bytes))], error, charged);
    }

    const leak = await checkEgress(deps, call, open, opName, execution);
    if (leak !== undefined) {
      deps.metrics.leakDetected();
      const error = errors.internal({ hint: TerminalMode.INSUFFICIENT_PERMISSION });
      return await fail(
        [decisionEvent, stamper.event(leak), callEvent(OperatorOutcome.ERROR, error, 0, 0, usageOf(charged.calls, charged.bytes))],
        error,
        charged,
      );
    }

    const after = { calls: charged.calls, bytes: charged.bytes + BigInt(execution.resultBytes) };
    if (after.bytes > budget.maxBytes) {
      // The result does not fit: it is withheld (never partially delivered), the call is charged its parameters.
      deps.metrics.budgetViolation();
      const error = errors.budgetExceeded();
      return await fail(
        [
          decisionEvent,
          stamper.event(budgetViolationPayload(opName, BudgetDimension.BYTES, charged.bytes, BigInt(execution.resultBytes), budget.maxBytes)),
          callEvent(OperatorOutcome.ERROR, error, 0, 0, usageOf(charged.calls, charged.bytes)),
        ],
        error,
        charged,
      );
    }

    const usage = usageOf(after.calls, after.bytes);
    const events: UnsealedEvent[] = [decisionEvent];
    for (const unit of execution.emitted) events.push(stamper.event(evidenceEmittedPayload(unit, opName)));
    events.push(callEvent(OperatorOutcome.SUCCESS, undefined, execution.resultBytes, execution.emitted.length, usage, execution.cacheHit));
    const committed = await open.commitAndRelease({
      events,
      evidence: execution.emitted.map((unit) => ({ unit, traceId: open.facts.traceId ?? "", sessionId })),
      sourceVersions: execution.sourceVersions,
      runtime: {
        kind: "update",
        sessionId,
        operatorCallsUsed: after.calls,
        bytesUsed: after.bytes,
        addEvidenceUnitIds: execution.emitted.map((unit) => unit.evidenceUnitId),
        updatedAt: stamper.now(),
      },
    });
    // Only versions this unit actually recorded first (its SOURCE_VERSION_OBSERVED events) enter the catalog.
    deps.versionCatalog.recordCommitted(
      committed.events.flatMap(({ event }) =>
        event.payload.case === "sourceVersionObserved" && event.payload.value.firstObservedAt !== undefined
          ? [
              {
                sourceSystem: event.payload.value.sourceSystem,
                objectId: event.payload.value.objectId,
                versionId: event.payload.value.versionId,
                firstObservedAsOf: event.payload.value.firstObservedAt,
                byteLength: event.payload.value.byteLength,
              },
            ]
          : [],
      ),
    );
    deps.metrics.operatorCall(opName, "success");
    if (execution.cacheHit) deps.metrics.operatorCacheHit(opName);
    if (execution.staleReads > 0) deps.metrics.stalenessErrors(execution.staleReads);
    return { result: execution.result, usage };
  } finally {
    await open.release();
  }
}

export type { OpenSession };
