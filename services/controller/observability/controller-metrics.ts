/**
 * The controller's own metrics (reference §7.2, adapted to RPCs, labels bounded), registered on the app's
 * registry next to the bootstrap's standard RPC metrics. The unlabelled counters are exported at 0 from the start
 * (the suites match `name 0`).
 */
import type { Counter } from "prom-client";
import type { AppMetrics } from "#core/observability/metrics.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** The controller's metrics. */
export interface ControllerMetrics {
  /** `pecr_controller_terminal_modes_total{terminal_mode}`: runs by final terminal mode (or the error's hint). */
  readonly terminalModes: Counter<"terminal_mode">;
  /** `pecr_controller_loop_iterations_total`: plan steps started by the context loop. */
  readonly loopIterations: Counter;
  /** `pecr_controller_budget_violations_total`: runs whose loop stopped on a budget limit. */
  readonly budgetViolations: Counter;
  /** Counts one run ending in `mode`. */
  recordTerminalMode(mode: TerminalMode): void;
}

/** The label value of a terminal mode: its enum name (`SUPPORTED`, ...); UNSPECIFIED counts as INSUFFICIENT_EVIDENCE. */
export function terminalModeLabel(mode: TerminalMode): string {
  return mode === TerminalMode.UNSPECIFIED || TerminalMode[mode] === undefined
    ? "INSUFFICIENT_EVIDENCE"
    : TerminalMode[mode];
}

/** Registers the controller's metrics on `app`'s registry. */
export function createControllerMetrics(app: AppMetrics): ControllerMetrics {
  const terminalModes = app.counter<"terminal_mode">({
    name: "pecr_controller_terminal_modes_total",
    help: "Runs by final terminal mode (the error's terminal mode hint when the run failed).",
    labelNames: ["terminal_mode"],
  });
  return {
    terminalModes,
    loopIterations: app.counter({
      name: "pecr_controller_loop_iterations_total",
      help: "Plan steps started by the controller's context loop.",
    }),
    budgetViolations: app.counter({
      name: "pecr_controller_budget_violations_total",
      help: "Runs whose context loop stopped on a budget limit.",
    }),
    recordTerminalMode: (mode) => terminalModes.inc({ terminal_mode: terminalModeLabel(mode) }),
  };
}
