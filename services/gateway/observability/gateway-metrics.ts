/**
 * The gateway's own metrics (reference §7.2, with bounded labels: operator names come from the fixed
 * allowlist, never from a request path). Unlabelled counters are created at 0 so they are exported from the
 * start; the staleness and leakage counters are actually counted (see version-selection.ts and
 * egress-check.ts).
 */
import type { AppMetrics } from "#core/observability/metrics.js";
import type { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { TerminalMode as TerminalModeEnum } from "#gen/pecr/v1/terminal_mode_pb.js";

/** Recording functions for the gateway's domain metrics. */
export interface GatewayMetrics {
  /** An operator call ended. */
  operatorCall(operator: string, outcome: "success" | "error"): void;
  /** A search was served from the cache. */
  operatorCacheHit(operator: string): void;
  /** A budget limit refused or withheld a call. */
  budgetViolation(): void;
  /** Reads served without a time-correctness guarantee. */
  stalenessErrors(count: number): void;
  /** The egress check withheld a response. */
  leakDetected(): void;
  /** A policy decision was made (or failed). */
  policyDecision(action: string, outcome: "allow" | "deny" | "error"): void;
  /** An RPC ended in a terminal mode (response mode, or the error's hint). */
  terminalMode(rpc: string, mode: TerminalMode): void;
  /** An optimistic call found its session changed elsewhere and ran again under the lease. */
  sessionConflict(): void;
}

/** Registers the gateway's metrics in the app's registry. */
export function createGatewayMetrics(app: AppMetrics): GatewayMetrics {
  const operatorCalls = app.counter({
    name: "pecr_gateway_operator_calls_total",
    help: "Operator calls by operator and outcome.",
    labelNames: ["operator_name", "outcome"],
  });
  const cacheHits = app.counter({
    name: "pecr_gateway_operator_cache_hits_total",
    help: "Operator results served from the cache.",
    labelNames: ["operator_name"],
  });
  const budgetViolations = app.counter({ name: "pecr_gateway_budget_violations_total", help: "Calls refused or withheld by a budget limit." });
  const stalenessErrors = app.counter({
    name: "pecr_gateway_staleness_errors_total",
    help: "Reads served with a version first observed after the session's as_of time.",
  });
  const leakageDetections = app.counter({ name: "pecr_gateway_leakage_detections_total", help: "Responses withheld by the egress check." });
  const policyDecisions = app.counter({
    name: "pecr_gateway_policy_decisions_total",
    help: "Policy decisions by action and outcome.",
    labelNames: ["action", "outcome"],
  });
  const terminalModes = app.counter({
    name: "pecr_gateway_terminal_modes_total",
    help: "Terminal modes of gateway RPCs (response mode, or the error's hint).",
    labelNames: ["rpc", "terminal_mode"],
  });
  const sessionConflicts = app.counter({
    name: "pecr_gateway_session_conflicts_total",
    help: "Calls run on this instance's last state of their session that found it changed elsewhere and ran again under the session lease.",
  });
  budgetViolations.inc(0);
  sessionConflicts.inc(0);
  stalenessErrors.inc(0);
  leakageDetections.inc(0);
  return {
    operatorCall: (operator, outcome) => operatorCalls.inc({ operator_name: operator, outcome }),
    operatorCacheHit: (operator) => cacheHits.inc({ operator_name: operator }),
    budgetViolation: () => budgetViolations.inc(),
    stalenessErrors: (count) => stalenessErrors.inc(count),
    leakDetected: () => leakageDetections.inc(),
    policyDecision: (action, outcome) => policyDecisions.inc({ action, outcome }),
    terminalMode: (rpc, mode) => terminalModes.inc({ rpc, terminal_mode: TerminalModeEnum[mode] ?? "UNSPECIFIED" }),
    sessionConflict: () => sessionConflicts.inc(),
  };
}
