/**
 * The controller's per-step log lines (reference §7.1: the controller's `operator.*` and `finalize.compile`
 * spans): one `controller.operator_call` line per gateway operator call and one `controller.finalize` line per
 * finalize, each under the request's logger (trace_id, request_id, principal_id). They carry names, counters,
 * codes and timings only: never parameters, evidence content or evidence ids (the telemetry suites grep for them).
 */
import type { Logger } from "pino";
import type { FinalizeResponse } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { OperatorCallEvent } from "../loop/context-loop.js";
import { terminalModeLabel } from "../observability/controller-metrics.js";
import { operatorOf } from "../planners/operators.js";

/** Logs one finished operator call of session `sessionId`. */
export function logOperatorCall(logger: Logger, sessionId: string, event: OperatorCallEvent): void {
  const ok = event.outcome === TerminalMode.SUPPORTED && event.errorCode === "";
  logger.info(
    {
      session_id: sessionId,
      operator_name: operatorOf(event.params)?.name ?? "unknown",
      step: event.step,
      outcome: ok ? "ok" : "error",
      terminal_mode: terminalModeLabel(event.outcome),
      ...(ok ? {} : { error_code: event.errorCode }),
      result_bytes: event.result?.responseBytes() ?? 0,
      latency_ms: Math.round(event.latencyMs * 1000) / 1000,
    },
    "controller.operator_call",
  );
}

/** Logs the gateway's finalize verdict for session `sessionId`, which took `latencyMs`. */
export function logFinalize(logger: Logger, sessionId: string, response: FinalizeResponse, latencyMs: number): void {
  logger.info(
    {
      session_id: sessionId,
      terminal_mode: terminalModeLabel(response.terminalMode),
      coverage_observed: response.claimMap?.coverageObserved ?? 0,
      claims: response.claimMap?.claims.length ?? 0,
      latency_ms: Math.round(latencyMs * 1000) / 1000,
    },
    "controller.finalize",
  );
}
