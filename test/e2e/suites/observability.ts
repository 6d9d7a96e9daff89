/**
 * Observability coverage (reference §8.1 suite 10): after a controller run, both services export their metrics
 * (the unlabelled counters even at 0), their logs carry the correlation fields, and the ledger holds the run's
 * POLICY_DECISION, OPERATOR_CALL, EVIDENCE_EMITTED and FINALIZE_RESULT events under its trace id (read as an
 * auditor through ListEvents).
 */
import { openTestSession } from "../../support/gateway-sessions.js";
import type { CoreSuite } from "../support/core-stack.js";
import { allEvents, eventType } from "../support/ledger-audit.js";

/** Metric series each service must export once it has served a run (`name{` labelled, `name ` unlabelled). */
const GATEWAY_SERIES = [
  "pecr_gateway_operator_calls_total{",
  "pecr_gateway_operator_cache_hits_total{",
  "pecr_gateway_policy_decisions_total{",
  "pecr_gateway_terminal_modes_total{",
  "pecr_gateway_budget_violations_total ",
  "pecr_gateway_staleness_errors_total ",
  "pecr_gateway_leakage_detections_total ",
  "pecr_rpc_server_handled_total{",
  "pecr_rpc_server_handling_seconds_bucket{",
];
const CONTROLLER_SERIES = [
  "pecr_controller_terminal_modes_total{",
  "pecr_controller_loop_iterations_total ",
  "pecr_controller_budget_violations_total ",
  "pecr_rpc_server_handled_total{",
  "pecr_rpc_server_handling_seconds_bucket{",
];

type Line = Record<string, unknown>;
const parse = (lines: readonly string[]): Line[] => lines.map((line) => JSON.parse(line) as Line);

/** Registers the observability coverage suite. */
export const registerObservabilitySuite: CoreSuite = (test, { prefix }, core) => {
  test.serial(`${prefix}observability: a run leaves metrics, correlated logs and its four ledger event kinds`, async (t) => {
    const { stack } = core();
    const run = await stack.controller.client("dev").run({ query: "What are the support hours?" });
    // A repeated search at one as_of, so the labelled cache-hit series exists too.
    const dev = stack.gateway("dev");
    for (let i = 0; i < 2; i++) {
      const session = await openTestSession(dev, { asOf: "2026-05-01T00:00:00Z" });
      await dev.search({ sessionId: session.sessionId, params: { query: "support", limit: 5 } }, session.options);
    }
    const gatewayMetrics = await stack.metrics("gateway");
    const controllerMetrics = await stack.metrics("controller");
    for (const series of GATEWAY_SERIES) t.true(gatewayMetrics.includes(`\n${series}`), `gateway lacks ${series}`);
    for (const series of CONTROLLER_SERIES) t.true(controllerMetrics.includes(`\n${series}`), `controller lacks ${series}`);
    t.regex(gatewayMetrics, /^pecr_gateway_leakage_detections_total 0$/m);

    const controllerLines = parse(stack.controller.logs);
    const gatewayLines = parse(stack.gatewayLogs);
    const created = controllerLines.find((line) => line.msg === "controller.gateway_session_created" && line.session_id === run.sessionId);
    t.truthy(created, "no controller.gateway_session_created line for the run");
    t.like(created, { principal_id: "dev", trace_id: run.traceId });
    t.regex(String(created?.policy_snapshot_id), /\S/);
    t.regex(String(created?.request_id), /\S/);
    const completed = controllerLines.find((line) => line.msg === "controller.context_loop_completed" && line.session_id === run.sessionId);
    t.is(completed?.stop_reason, "plan_complete");
    t.true(gatewayLines.some((line) => line.trace_id === run.traceId && typeof line.request_id === "string" && line.session_id === run.sessionId && line.principal_id === "dev" && typeof line.policy_snapshot_id === "string"));

    const types = new Set((await allEvents(stack.gateway("auditor"), { traceId: run.traceId })).map((record) => eventType(record.event)));
    for (const type of ["POLICY_DECISION", "OPERATOR_CALL", "EVIDENCE_EMITTED", "FINALIZE_RESULT"]) t.true(types.has(type), `no ${type} for the run's trace`);
  });

  test(`${prefix}observability: each service logs one startup line, named as reference §7 names it`, (t) => {
    const { stack } = core();
    for (const [service, lines] of [["gateway", parse(stack.gatewayLogs)], ["controller", parse(stack.controller.logs)]] as const) {
      const startup = lines.filter((line) => typeof line.msg === "string" && line.msg.endsWith(" listening"));
      t.deepEqual(startup.map((line) => line.msg), [`pecr-${service} listening`], `${service} startup lines`);
      t.like(startup[0], { trace_id: "startup", request_id: "startup" });
      t.regex(String(startup[0]?.bind_addr), /^127\.0\.0\.1:\d+$/);
    }
  });

  test(`${prefix}observability: a controller that served nothing yet exports its unlabelled counters at 0`, async (t) => {
    const { stack } = core();
    const fresh = await stack.startController();
    const metrics = await (await fetch(`${fresh.url}/metrics`)).text();
    t.regex(metrics, /^pecr_controller_loop_iterations_total 0$/m);
    t.regex(metrics, /^pecr_controller_budget_violations_total 0$/m);
  });
};
