/**
 * The fault scenarios (reference §8.2 steps 4-7), each under closed-loop load and each judged on every request:
 * - `opa_unavailable`: the gateway's OPA URL points at a closed port;
 * - `opa_timeout`: the OPA server accepts connections and never answers (per-attempt timeout 50 ms);
 * - `postgres_unavailable`: after the first third of the fault duration Postgres goes away for
 *   `PECR_PERF_PG_OUTAGE_MS`, then comes back, and the load goes on for `PECR_PERF_PG_RECOVERY_MS`. Where server
 *   binaries are found, the gateway's ledger is on a private cluster the suite started for this fault
 *   (private-postgres.ts; never the server behind PECR_DB_URL, which may be shared), and the server itself is
 *   stopped (`pg_ctl stop -m fast`) and started again; this runs on either ledger backend. Otherwise, or with
 *   `PECR_PERF_PG_FAULT=proxy`, the gateway reaches PECR_DB_URL's server through a TCP fault proxy that is cut
 *   (connections dropped, new ones refused) and restored. The report names the mechanism that ran;
 * - `pg_statement_timeout`: FetchRows on `safe_customer_view_public_slow` (0.2 s per row) under a 5 ms
 *   safe-view statement timeout.
 * The expected terminal mode is SOURCE_UNAVAILABLE (from the RunResponse, or the error's ErrorDetail hint) for
 * every request within its deadline; around the Postgres outage, requests that ran wholly outside it must get
 * the healthy mode and those straddling an edge may get either. A SOURCE_UNAVAILABLE alone does not say why, so
 * every failed request must also carry the error of the fault's own cause (the gateway's policy-engine, ledger
 * or database error, never the controller's "gateway request failed"). Afterwards, on a healthy gateway, the
 * ledger chain must verify and every acknowledged call's events must be present; where the fault refuses every
 * request (nothing is acknowledged), every refusal must be in the ledger instead: the gateway records it before
 * it answers, so the matching events after the scenario's starting head must number the refused requests.
 */
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { refusingUrl, startSilentServer } from "../../../test/integration/policy/fault-servers.js";
import { type Acknowledged, type ExpectedFailures, judgeFailures, modeName } from "./call-outcome.js";
import { createClientPool } from "./load-clients.js";
import { type RefusalEvents, auditScenario, operatorErrors, policyEngineRefusals, verifyChain } from "./ledger-audit.js";
import { LOAD_PRINCIPAL, PLANNER_RUNS } from "./load-scenarios.js";
import type { PerfStack, StackLayout } from "./perf-stack.js";
import { type PgOutageMechanism, choosePgOutage } from "./pg-outage-mechanism.js";
import { findPostgresInstall } from "./private-postgres.js";
import { type ScenarioResult, type ScenarioRun, type ScenarioSpec, always, check, failedToRun, runScenario } from "./scenario-result.js";
import type { SuiteOptions } from "./suite-options.js";
import { controllerRun, fetchRowsCall, gatewayOperator } from "./workloads.js";

const { SOURCE_UNAVAILABLE } = TerminalMode;
/** The healthy layout between faults: the mock planner's controller only. */
const HEALTHY: StackLayout = { controllers: ["mock"] };
/** The statement timeout of the slow-view fault (the reference's value). */
const SLOW_VIEW_TIMEOUT_MS = "5";
/** Request-id tag of the slow-view fault's FetchRows calls (how the audit finds their events). */
const SLOW_VIEW_TAG = "s7-slow-view";

// The errors each fault must cause, as failureSignature writes them. PECR's messages are fixed per cause; these
// are the gateway's (services/gateway/policy/opa-http/opa-http-engine.ts, services/gateway/ledger/,
// services/gateway/adapters/pg-safeview/safe-view-runner.ts), which the controller passes through with their
// ErrorDetail (services/controller/gateway/gateway-errors.ts). The controller's own errors for a gateway it
// could not reach ("gateway request failed", "gateway request timed out") are in no list.
const POLICY_UNAVAILABLE = "Unavailable/ERR_SOURCE_UNAVAILABLE policy engine unavailable";
const POLICY_TIMEOUT = "DeadlineExceeded/ERR_SOURCE_TIMEOUT policy engine timeout";
/** After a few failures the gateway's circuit breaker refuses decisions without asking the policy engine. */
const POLICY_CIRCUIT_OPEN = "Unavailable/ERR_SOURCE_UNAVAILABLE policy engine circuit breaker is open";
const LEDGER_UNAVAILABLE = "Unavailable/ERR_LEDGER_UNAVAILABLE ledger unavailable";
/** The statement timeout cancels the query (SQLSTATE 57014), which the safe-view runner reports so. */
const DB_QUERY_FAILED = "Unavailable/ERR_SOURCE_UNAVAILABLE database query failed";

/** A fault scenario's result plus what its audit and checks need. */
interface FaultRun {
  readonly run: ScenarioRun;
  /** Verify on this layout afterwards (the fault's own, when its policy still answers). */
  readonly auditLayout: StackLayout | "current";
  /** The errors the fault's failed requests must carry. */
  readonly failures: ExpectedFailures;
  /**
   * For a fault that refuses every request: the event the gateway records per refusal before answering, to
   * be counted against the requests refused SOURCE_UNAVAILABLE.
   */
  readonly refusals?: RefusalEvents;
  /**
   * The fault ran on a ledger of its own (the private Postgres cluster): the audit reads it from this head, a
   * gateway restarted for the audit gets this layout, and the suite's ledger head stays where it was.
   */
  readonly ownLedger?: { readonly head: bigint; readonly layout: StackLayout };
}

function acknowledgedOf(run: ScenarioRun): Acknowledged[] {
  return run.samples.flatMap((sample) => (sample.outcome.rpcOk && sample.outcome.ack ? [sample.outcome.ack] : []));
}

function auditor(stack: PerfStack) {
  return createClientPool(GatewayService, stack.gatewayUrl, 1, "auditor").forUser(0);
}

/** Runs the mock planner's Run against the current stack, expecting `expected`. */
function runLoad(stack: PerfStack, options: SuiteOptions, name: string, overrides: Partial<ScenarioSpec> = {}): Promise<ScenarioRun> {
  const pool = createClientPool(ControllerService, stack.controllerUrl("mock"), Math.min(options.faultUsers, options.connections), LOAD_PRINCIPAL);
  return runScenario({
    name,
    group: "fault",
    users: options.faultUsers,
    durationMs: options.faultDurationMs,
    warmupMs: 0,
    deadlineMs: options.runDeadlineMs,
    expectedLabel: "SOURCE_UNAVAILABLE",
    expected: always(SOURCE_UNAVAILABLE),
    request: controllerRun(pool, PLANNER_RUNS.mock.query, options.runDeadlineMs),
    includeOverrun: true,
    ...overrides,
  });
}

async function opaUnavailable(stack: PerfStack, options: SuiteOptions): Promise<FaultRun> {
  await stack.start({ ...HEALTHY, gatewayEnv: { PECR_OPA_URL: await refusingUrl(), PECR_OPA_TIMEOUT_MS: "100" } });
  return {
    run: await runLoad(stack, options, "fault_opa_unavailable"),
    auditLayout: HEALTHY,
    failures: { required: POLICY_UNAVAILABLE, allowed: [POLICY_CIRCUIT_OPEN] },
    refusals: policyEngineRefusals(LOAD_PRINCIPAL),
  };
}

async function opaTimeout(stack: PerfStack, options: SuiteOptions): Promise<FaultRun> {
  const silent = await startSilentServer();
  try {
    await stack.start({ ...HEALTHY, gatewayEnv: { PECR_OPA_URL: silent.url, PECR_OPA_TIMEOUT_MS: "50" } });
    const run = await runLoad(stack, options, "fault_opa_timeout");
    // Timeouts prove nothing unless the silent server is what the gateway waited for (not, say, a wrong URL).
    check(run.result, "the silent policy server was hit", silent.hits > 0, `${silent.hits} requests reached it`);
    return {
      run,
      auditLayout: HEALTHY,
      failures: { required: POLICY_TIMEOUT, allowed: [POLICY_CIRCUIT_OPEN] },
      refusals: policyEngineRefusals(LOAD_PRINCIPAL),
    };
  } finally {
    await silent.close();
  }
}

/** Takes Postgres away from the gateway and gives it back. */
interface PgOutage {
  /** What ran, for the report. */
  readonly mechanism: string;
  down(): Promise<void>;
  up(): Promise<void>;
}

async function postgresUnavailable(stack: PerfStack, options: SuiteOptions, mechanism: PgOutageMechanism): Promise<FaultRun> {
  let outage: PgOutage;
  let ownLedger: FaultRun["ownLedger"];
  if (mechanism.kind === "stop") {
    const layout: StackLayout = { ...HEALTHY, privateDb: mechanism.install };
    await stack.start(layout);
    const server = stack.privateDb!;
    outage = {
      mechanism:
        `server stopped with pg_ctl (stop -m fast, then start on the same data directory and port) — a private cluster on ` +
        `127.0.0.1:${server.port} (${mechanism.install.version}) holding this fault's own ledger, not the suite's`,
      down: () => server.stop(),
      up: () => server.start(),
    };
    // A fresh ledger of its own: the audit starts at its head now (fixtures loaded, nothing of the load yet).
    ownLedger = { head: (await verifyChain(auditor(stack))).headSeq, layout };
  } else {
    await stack.start({ ...HEALTHY, dbThroughProxy: true });
    const proxy = stack.dbProxy!;
    outage = { mechanism: `connections cut by a TCP proxy (${mechanism.why})`, down: () => proxy.cut(), up: () => proxy.restore() };
  }
  const healthy = PLANNER_RUNS.mock.expect;
  // Window-relative times of the outage's edges: [cutSent, cutDone] and [restoreSent, restoreDone].
  const edges = { cutSent: Infinity, cutDone: Infinity, restoreSent: Infinity, restoreDone: Infinity };
  let origin = 0;
  const now = () => performance.now() - origin;
  let schedule: Promise<void> = Promise.resolve();
  const outageModes = new Set([SOURCE_UNAVAILABLE]);
  const normal = new Set([healthy]);
  const either = new Set([healthy, SOURCE_UNAVAILABLE]);
  const cutAtMs = options.faultDurationMs / 3;
  const restoreAtMs = cutAtMs + options.pgOutageMs;
  const run = await runLoad(stack, options, "fault_postgres_unavailable", {
    durationMs: restoreAtMs + options.pgRecoveryMs,
    expectedLabel: `SOURCE_UNAVAILABLE during the outage, ${TerminalMode[healthy]} outside`,
    expected: (startMs, endMs) => {
      if (startMs >= edges.cutDone && endMs <= edges.restoreSent) return outageModes;
      if (endMs <= edges.cutSent || startMs >= edges.restoreDone + options.recoveryGraceMs) return normal;
      return either;
    },
    onMeasureStart: () => {
      origin = performance.now();
      // In sequence: a restart must not race a stop still in progress (pg_ctl would refuse it).
      schedule = (async () => {
        await delay(cutAtMs);
        edges.cutSent = now();
        await outage.down();
        edges.cutDone = now();
        await delay(Math.max(0, restoreAtMs - now()));
        edges.restoreSent = now();
        await outage.up();
        edges.restoreDone = now();
      })();
      // Awaited after the load; until then a failed stop or start must not count as an unhandled rejection.
      schedule.catch(() => undefined);
    },
  });
  await schedule;
  const { result, samples } = run;
  const during = samples.filter((sample) => sample.startMs >= edges.cutDone && sample.endMs <= edges.restoreSent);
  const after = samples.filter((sample) => sample.startMs >= edges.restoreDone + options.recoveryGraceMs);
  const failedAfter = after.filter((sample) => sample.outcome.mode !== healthy).length;
  // Not judged (the grace allows them), but reported: how long the gateway takes to recover is worth seeing.
  const inGrace = samples.filter((sample) => sample.startMs >= edges.restoreDone && sample.startMs < edges.restoreDone + options.recoveryGraceMs);
  const failedInGrace = inGrace.filter((sample) => sample.outcome.mode !== healthy).length;
  const duringLatencies = during.map((sample) => sample.endMs - sample.startMs).sort((a, b) => a - b);
  const duringModes: Record<string, number> = {};
  for (const sample of during) duringModes[modeName(sample.outcome.mode)] = (duringModes[modeName(sample.outcome.mode)] ?? 0) + 1;
  result.notes.push(
    `mechanism: ${outage.mechanism}`,
    `outage ${edges.cutDone.toFixed(0)}-${edges.restoreSent.toFixed(0)} ms (down in ${(edges.cutDone - edges.cutSent).toFixed(0)} ms, back in ${(edges.restoreDone - edges.restoreSent).toFixed(0)} ms): ` +
      `${during.length} requests wholly inside it ${JSON.stringify(duringModes)} (median ${(duringLatencies[Math.floor(duringLatencies.length / 2)] ?? 0).toFixed(0)} ms), ` +
      `${failedInGrace} of ${inGrace.length} started in the ${options.recoveryGraceMs} ms grace after the restore not ${TerminalMode[healthy]}, ` +
      `${failedAfter} of ${after.length} started after it`,
  );
  check(result, "requests ran inside the outage", during.length > 0, `${during.length} requests`);
  check(result, "requests after the restore succeed", after.length > 0 && failedAfter === 0, `${after.length - failedAfter} of ${after.length}`);
  // Runs refused during the outage cannot all be in the ledger (it was down): the acknowledged ones are audited.
  // Nothing else is allowed, for the real stop too. What a stopped server does to the gateway's connections (a
  // session ended with 57P01, connections refused, CONNECTION_CLOSED, 57P03 "starting up" during the restart, all
  // seen in the gateway's log) reaches the ledger's calls, which report any database failure as `ledger
  // unavailable`. The plan's fetch_rows reads a safe view on the same server, and its `database query failed`
  // does show in the gateway's log at the edges, but only inside a Run: that Run ends SOURCE_UNAVAILABLE with a
  // successful RPC (acknowledged, and audited) or fails on its next ledger write. Each Run opens its own session,
  // so a lease left behind by a Run the stop cut off is never waited for ("session lock acquisition timed out").
  return {
    run,
    auditLayout: "current",
    failures: { required: LEDGER_UNAVAILABLE, allowed: [] },
    ...(ownLedger === undefined ? {} : { ownLedger }),
  };
}

async function pgStatementTimeout(stack: PerfStack, options: SuiteOptions): Promise<FaultRun> {
  await stack.start({ controllers: [], gatewayEnv: { PECR_PG_SAFEVIEW_QUERY_TIMEOUT_MS: SLOW_VIEW_TIMEOUT_MS } });
  const pool = createClientPool(GatewayService, stack.gatewayUrl, Math.min(options.faultUsers, options.connections), LOAD_PRINCIPAL);
  const workload = gatewayOperator(pool, fetchRowsCall("safe_customer_view_public_slow"), options.gatewayDeadlineMs, SLOW_VIEW_TAG);
  await workload.prepare(options.faultUsers);
  const run = await runScenario({
    name: "fault_pg_statement_timeout",
    group: "fault",
    users: options.faultUsers,
    durationMs: options.faultDurationMs,
    warmupMs: 0,
    deadlineMs: options.gatewayDeadlineMs,
    expectedLabel: "SOURCE_UNAVAILABLE",
    expected: always(SOURCE_UNAVAILABLE),
    request: workload.request,
    includeOverrun: true,
  });
  return {
    run,
    auditLayout: "current",
    failures: { required: DB_QUERY_FAILED, allowed: [] },
    refusals: operatorErrors("fetch_rows", "ERR_SOURCE_UNAVAILABLE", `${SLOW_VIEW_TAG}-`),
  };
}

/**
 * Judges one fault run on `stack`: its services survived, every request got the expected mode and error within
 * its deadline, and the ledger verifies and holds what the run says it must (audited after `head`, or from the
 * fault's own ledger). The checks land on the run's result. Returns the head the next scenario's audit starts after.
 */
async function judgeFault(stack: PerfStack, faultRun: FaultRun, head: bigint): Promise<bigint> {
  const { run, auditLayout, refusals } = faultRun;
  const { result } = run;
  // A service that died under the fault is a finding of its own (the load then only measured the survivors).
  for (const service of stack.services()) {
    const ended = service.process.exited();
    const detail = ended === undefined ? "still running" : `${ended}: ${service.process.stderrTail().trim().split("\n").slice(-6).join(" | ")}`;
    check(result, `${service.name} survived the fault`, ended === undefined, detail);
  }
  const acknowledged = acknowledgedOf(run);
  const expectedRefusals =
    refusals === undefined
      ? undefined
      : { events: refusals, refused: run.samples.filter((sample) => !sample.outcome.rpcOk && sample.outcome.mode === SOURCE_UNAVAILABLE).length };
  result.notes.push(`modes ${JSON.stringify(result.modes)}, failed RPCs ${JSON.stringify(result.errorCodes)}`);
  // A fault on a ledger of its own is audited there, from that ledger's head.
  const from = faultRun.ownLedger?.head ?? head;
  let audit;
  if (auditLayout === "current") {
    // The gateway that lived through the fault must answer the auditor without a restart.
    audit = await auditScenario(auditor(stack), from, acknowledged, expectedRefusals);
    check(result, "the gateway answers the auditor after the fault", !audit.rpcFailed, audit.rpcFailed ? (audit.verification.firstBreak ?? audit.problems[0] ?? "") : "VerifyLedger and ListEvents answered");
    if (audit.rpcFailed) {
      result.notes.push("audited on a restarted gateway: the one that lived through the fault did not answer");
      await stack.start(faultRun.ownLedger?.layout ?? HEALTHY);
      audit = await auditScenario(auditor(stack), from, acknowledged, expectedRefusals);
    }
  } else {
    await stack.start(auditLayout);
    audit = await auditScenario(auditor(stack), from, acknowledged, expectedRefusals);
  }
  check(result, "requests completed", result.requests > 0, `${result.requests} requests`);
  check(result, "every request got the expected terminal mode", result.wrongMode === 0, `${result.wrongMode} wrong of ${result.requests}: ${JSON.stringify(result.modes)}`);
  check(result, "every request answered within its deadline", result.late === 0, `${result.late} late, max ${result.max.toFixed(0)} ms`);
  const failures = judgeFailures(run.samples.map((sample) => sample.outcome), faultRun.failures);
  check(
    result,
    "failures carry the fault's own errors",
    failures.required > 0 && Object.keys(failures.unexpected).length === 0,
    `${failures.required} "${faultRun.failures.required}"; unexpected ${JSON.stringify(failures.unexpected)}`,
  );
  check(result, "ledger chain verifies", audit.verification.ok, `${audit.verification.eventsVerified} events${audit.verification.firstBreak ? `, ${audit.verification.firstBreak}` : ""}`);
  // Where the fault refuses everything, "acknowledged calls' events present" holds of nothing; it is still
  // checked if something was acknowledged after all.
  if (refusals === undefined || acknowledged.length > 0) {
    check(
      result,
      "acknowledged calls' events present",
      audit.problemCount === 0,
      `${audit.acknowledged} acknowledged, ${audit.eventsRead} events read${audit.problemCount > 0 ? `; ${audit.problemCount} problems: ${audit.problems.join("; ")}` : ""}`,
    );
  }
  if (expectedRefusals !== undefined) {
    const found = audit.refusals;
    check(
      result,
      "every refusal is in the ledger",
      found?.ok === true,
      `${found?.recorded ?? "(ListEvents failed)"} ${expectedRefusals.events.label} events after seq ${from} for ${expectedRefusals.refused} requests refused SOURCE_UNAVAILABLE`,
    );
  }
  // A fault on a ledger of its own leaves the suite's head where it was. Otherwise the next scenario's audit starts
  // after this one's events, even when the chain did not verify: counted again, this scenario's refusals would be
  // taken for the next one's.
  if (faultRun.ownLedger !== undefined) return head;
  return audit.verification.ok ? audit.verification.headSeq : (audit.lastSeq ?? head);
}

/** A fault scenario that cannot run in this configuration. */
export interface SkippedScenario {
  readonly name: string;
  readonly reason: string;
}

/** Runs every fault scenario on `stack` (left running a healthy layout); `log` reports progress. */
export async function runFaultScenarios(
  stack: PerfStack,
  options: SuiteOptions,
  log: (line: string) => void,
): Promise<{ results: ScenarioResult[]; skipped: SkippedScenario[] }> {
  const selected = (name: string) => options.faults === undefined || options.faults.has(name.replace(/^fault_/, ""));
  const pgOutage = selected("fault_postgres_unavailable") ? await choosePgOutage(stack.backend, options.pgFault, findPostgresInstall) : { skip: "not selected" };
  const faults: { name: string; run: (stack: PerfStack, options: SuiteOptions) => Promise<FaultRun>; skip?: string }[] = [
    { name: "fault_opa_unavailable", run: opaUnavailable },
    { name: "fault_opa_timeout", run: opaTimeout },
    {
      name: "fault_postgres_unavailable",
      run: (stack, options) => ("mechanism" in pgOutage ? postgresUnavailable(stack, options, pgOutage.mechanism) : Promise.reject(new Error("fail" in pgOutage ? pgOutage.fail : pgOutage.skip))),
      ...("skip" in pgOutage ? { skip: pgOutage.skip } : {}),
    },
    {
      name: "fault_pg_statement_timeout",
      run: pgStatementTimeout,
      ...(stack.backend === "postgres" ? {} : { skip: "PGlite runs statements to completion (no statement timeout); set PECR_DB_URL" }),
    },
  ];
  await stack.start(HEALTHY);
  let head = (await verifyChain(auditor(stack))).headSeq;
  const results: ScenarioResult[] = [];
  const skipped: SkippedScenario[] = [];
  for (const fault of faults) {
    if (!selected(fault.name)) continue;
    if (fault.skip !== undefined) {
      skipped.push({ name: fault.name, reason: fault.skip });
      continue;
    }
    log(`fault: ${fault.name}`);
    try {
      let faultRun: FaultRun;
      try {
        faultRun = await fault.run(stack, options);
      } catch (error) {
        results.push(failedToRun({ name: fault.name, group: "fault", users: options.faultUsers, expectedLabel: "SOURCE_UNAVAILABLE" }, error));
        await stack.start(HEALTHY);
        continue;
      }
      head = await judgeFault(stack, faultRun, head);
      results.push(faultRun.run.result);
    } finally {
      // Whatever happened, a private cluster lives no longer than its fault (and `close` removes it on Ctrl-C).
      await stack.dropPrivateDb();
    }
  }
  await stack.start(HEALTHY);
  return { results, skipped };
}
