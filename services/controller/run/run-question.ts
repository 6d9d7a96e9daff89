/**
 * One run, shared by `Run` and `RunStream`: open a gateway session, let the planner drive the budgeted loop,
 * propose the claim map, finalize, and report. Errors of CreateSession and Finalize reach the caller with the
 * gateway's code and ErrorDetail; operator errors only end the loop and become the proposed terminal mode, which
 * survives finalize (the gateway only downgrades).
 */
import type { Validator } from "@bufbuild/protovalidate";
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { PecrError } from "#core/errors/pecr-error.js";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { type RunResponse, RunResponseSchema, StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import type { EvidenceUnitRef } from "#gen/pecr/v1/evidence_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { buildProposal, proposedTerminalMode } from "../claims/claim-map.js";
import type { GatewayClient, GatewayCallOptions, GatewaySession } from "../gateway/gateway-client.js";
import { passThroughGatewayError } from "../gateway/gateway-errors.js";
import { type LoopSummary, createContextLoop } from "../loop/context-loop.js";
import { type ControllerMetrics, terminalModeLabel } from "../observability/controller-metrics.js";
import type { Planner } from "../planners/planner.js";
import { type RunEventSink, finalizeEvent, loopEvent, resultEvent, sessionStartedEvent } from "./run-events.js";
import { logFinalize, logOperatorCall } from "./run-log.js";

/** What a run depends on (built once by the composition root). */
export interface RunDeps {
  /** The gateway. */
  readonly gateway: GatewayClient;
  /** The configured planner. */
  readonly planner: Planner;
  /** The controller's metrics. */
  readonly metrics: ControllerMetrics;
  /** Checks each operator call's parameters before it is sent. */
  readonly validator: Validator;
  /** Deadline floor of CreateSession and Finalize, ms. */
  readonly gatewayCallTimeoutMs: number;
  /** Monotonic clock, ms. */
  readonly now: () => number;
  /** New ULIDs (claim map ids). */
  readonly newId: () => string;
}

/** One question to answer. */
export interface RunInput {
  /** The question, trimmed and non-empty. */
  readonly query: string;
  /** The run's budget (validated). */
  readonly budget: Budget;
  /** The point in time to answer at, if the caller chose one. */
  readonly asOfTime: Timestamp | undefined;
  /** Headers sent on every gateway call: forwarded credentials, request id, trace id. */
  readonly headers: Readonly<Record<string, string>>;
  /** The caller's cancellation. */
  readonly signal: AbortSignal | undefined;
  /** The request's logger (carries trace_id, request_id, principal_id). */
  readonly logger: Logger;
  /** The caller, for logs. */
  readonly principalId: string | undefined;
}

/** `STOP_REASON_BUDGET_MAX_BYTES` → `budget_max_bytes`, as the original's logs spell stop reasons. */
export function stopReasonLabel(reason: StopReason): string {
  return (StopReason[reason] ?? "UNSPECIFIED").toLowerCase();
}

/** Fields not already bound on `logger` (avoids duplicate keys on a line). */
function unbound(logger: Logger, fields: Record<string, unknown>): Record<string, unknown> {
  const bindings = logger.bindings();
  return Object.fromEntries(Object.entries(fields).filter(([key]) => bindings[key] === undefined));
}

function citedEvidence(response: { claimMap?: { claims: { evidenceUnitIds: string[] }[] } | undefined }, summary: LoopSummary) {
  const cited = new Map<string, EvidenceUnitRef>();
  for (const claim of response.claimMap?.claims ?? []) {
    for (const id of claim.evidenceUnitIds) {
      const ref = summary.evidence.get(id);
      if (ref !== undefined && !cited.has(id)) cited.set(id, ref);
    }
  }
  return [...cited.values()];
}

/** Answers one question; `onEvent` receives every progress event (the result last). */
export async function runQuestion(input: RunInput, deps: RunDeps, onEvent?: RunEventSink): Promise<RunResponse> {
  const startedAt = deps.now();
  const wallclockMs = Number(input.budget.maxWallclockMs);
  // CreateSession and Finalize run even when the wallclock budget is spent (a run must open and close its
  // session), so their deadline never drops below the configured floor.
  const sessionCall = (): GatewayCallOptions => ({
    headers: input.headers,
    timeoutMs: Math.max(deps.gatewayCallTimeoutMs, wallclockMs - (deps.now() - startedAt)),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  try {
    let session: GatewaySession;
    try {
      session = await deps.gateway.createSession({ budget: input.budget, asOfTime: input.asOfTime }, sessionCall());
    } catch (error) {
      throw passThroughGatewayError(error);
    }
    input.logger.info(
      unbound(input.logger, {
        session_id: session.response.sessionId,
        trace_id: session.response.traceId,
        principal_id: input.principalId,
        policy_snapshot_id: session.response.policySnapshotId,
      }),
      "controller.gateway_session_created",
    );
    onEvent?.(sessionStartedEvent(session.response, input.budget));

    const loop = createContextLoop({
      budget: input.budget,
      now: deps.now,
      startedAt,
      validator: deps.validator,
      callOperator: (params, timeoutMs) =>
        deps.gateway.callOperator(session, params, {
          headers: input.headers,
          timeoutMs,
          ...(input.signal ? { signal: input.signal } : {}),
        }),
      onIteration: () => deps.metrics.loopIterations.inc(),
      onEvent: (event) => {
        if (event.kind === "operator_call") logOperatorCall(input.logger, session.response.sessionId, event);
        onEvent?.(loopEvent(event));
      },
    });
    const answer = await deps.planner.answer({ query: input.query }, loop);
    const summary = loop.finish();
    if (summary.budgetViolation) deps.metrics.budgetViolations.inc();
    const mode = proposedTerminalMode(answer.claims, summary);
    input.logger.info(
      {
        session_id: session.response.sessionId,
        terminal_mode: terminalModeLabel(mode),
        stop_reason: stopReasonLabel(summary.stopReason),
        budget_violation: summary.budgetViolation,
        operator_calls_used: summary.operatorCallsUsed,
        depth_used: summary.depthUsed,
        bytes_used: Number(summary.bytesUsed),
      },
      "controller.context_loop_completed",
    );

    const proposal = buildProposal({
      claims: answer.claims,
      mode,
      claimMapId: deps.newId(),
      authorship: deps.planner.authorship,
    });
    let finalized;
    const finalizeStartedAt = deps.now();
    try {
      finalized = await deps.gateway.finalize(session, proposal, sessionCall());
    } catch (error) {
      throw passThroughGatewayError(error);
    }
    logFinalize(input.logger, session.response.sessionId, finalized, deps.now() - finalizeStartedAt);
    onEvent?.(finalizeEvent(finalized));

    const response = create(RunResponseSchema, {
      terminalMode: finalized.terminalMode,
      traceId: finalized.traceId || session.response.traceId,
      ...(finalized.claimMap ? { claimMap: finalized.claimMap } : {}),
      responseText: finalized.responseText,
      sessionId: session.response.sessionId,
      stats: {
        stopReason: summary.stopReason,
        budgetViolation: summary.budgetViolation,
        operatorCallsUsed: BigInt(summary.operatorCallsUsed),
        bytesUsed: summary.bytesUsed,
        depthUsed: summary.depthUsed,
        wallclockMs: BigInt(Math.max(0, Math.round(deps.now() - startedAt))),
      },
      citedEvidence: citedEvidence(finalized, summary),
      authorship: deps.planner.authorship,
    });
    deps.metrics.recordTerminalMode(response.terminalMode);
    onEvent?.(resultEvent(response));
    return response;
  } catch (error) {
    deps.metrics.recordTerminalMode(errorHint(error));
    throw error;
  }
}

function errorHint(error: unknown): TerminalMode {
  if (error instanceof PecrError) return error.hint;
  return findErrorDetail(error)?.terminalModeHint ?? TerminalMode.SOURCE_UNAVAILABLE;
}
