/**
 * The load scenarios on a healthy stack: the baselines (controller Run with the mock and the extractive planner,
 * gateway FetchRows and FetchSpan) and the scaling points (Run with the mock planner and FetchRows at each
 * configured number of virtual users). Each is judged on its terminal mode: mock runs end
 * INSUFFICIENT_EVIDENCE (the original's fixed plan cites nothing), extractive runs and operator calls SUPPORTED.
 */
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { PlannerName } from "../../../services/controller/config/controller-config.js";
import { createClientPool } from "./load-clients.js";
import type { PerfStack } from "./perf-stack.js";
import { type ScenarioGroup, type ScenarioResult, always, check, runScenario } from "./scenario-result.js";
import { type OperatorCall, controllerRun, fetchRowsCall, fetchSpanCall, gatewayOperator } from "./workloads.js";
import type { SuiteOptions } from "./suite-options.js";

/** The principal of the load (the policy lets `dev` do everything). */
export const LOAD_PRINCIPAL = "dev";

/** The question and expected mode of each planner. */
export const PLANNER_RUNS: Readonly<Record<PlannerName, { query: string; expect: TerminalMode }>> = {
  mock: { query: "smoke", expect: TerminalMode.INSUFFICIENT_EVIDENCE },
  extractive: { query: "What are the support hours?", expect: TerminalMode.SUPPORTED },
};

/** Size and timing of one load run. */
export interface LoadShape {
  readonly users: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

/** Judges a healthy-stack run: no wrong terminal mode and no failed RPC (enforced unless a scaling point). */
function judgeHealthy(result: ScenarioResult): ScenarioResult {
  const enforced = result.group !== "scaling";
  check(result, "requests completed", result.requests > 0, `${result.requests} requests`, enforced);
  check(result, `every request ${result.expected}`, result.wrongMode === 0, `${result.wrongMode} wrong of ${result.requests}`, enforced);
  check(result, "no failed RPC", result.errors === 0, `${result.errors} failed: ${JSON.stringify(result.errorCodes)}`, enforced);
  return result;
}

/** ControllerService.Run against the `planner` controller. */
export async function runControllerLoad(
  stack: PerfStack,
  options: SuiteOptions,
  name: string,
  group: ScenarioGroup,
  planner: PlannerName,
  shape: LoadShape,
): Promise<ScenarioResult> {
  const pool = createClientPool(ControllerService, stack.controllerUrl(planner), Math.min(shape.users, options.connections), LOAD_PRINCIPAL);
  const { query, expect } = PLANNER_RUNS[planner];
  const { result } = await runScenario({
    name,
    group,
    ...shape,
    deadlineMs: options.runDeadlineMs,
    expectedLabel: TerminalMode[expect],
    expected: always(expect),
    request: controllerRun(pool, query, options.runDeadlineMs),
  });
  return judgeHealthy(result);
}

/** The gateway operators the baselines load. */
export const GATEWAY_OPERATORS: Readonly<Record<"fetch_rows" | "fetch_span", OperatorCall>> = {
  fetch_rows: fetchRowsCall("safe_customer_view_public"),
  fetch_span: fetchSpanCall("public/public_1.txt"),
};

/** A gateway operator on per-user sessions. */
export async function runGatewayLoad(
  stack: PerfStack,
  options: SuiteOptions,
  name: string,
  group: ScenarioGroup,
  operator: OperatorCall,
  shape: LoadShape,
): Promise<ScenarioResult> {
  const pool = createClientPool(GatewayService, stack.gatewayUrl, Math.min(shape.users, options.connections), LOAD_PRINCIPAL);
  const workload = gatewayOperator(pool, operator, options.gatewayDeadlineMs, `s7-${name}`);
  await workload.prepare(shape.users);
  const { result } = await runScenario({
    name,
    group,
    ...shape,
    deadlineMs: options.gatewayDeadlineMs,
    expectedLabel: "SUPPORTED",
    expected: always(TerminalMode.SUPPORTED),
    request: workload.request,
  });
  return judgeHealthy(result);
}
