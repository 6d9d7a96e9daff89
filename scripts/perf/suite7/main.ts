/**
 * `npm run perf`: PECR's performance and fault-injection suite (the original's Suite 7, and beyond). It starts
 * the stack itself, every service in its own process (real Postgres in a fresh schema when PECR_DB_URL or
 * PECR_BENCH_DB_URL is set, else embedded PGlite; the embedded policy engine, or `pecr opa-serve` with
 * `--opa`), loads it with a closed-loop Node load generator (generated Connect clients, gRPC over HTTP/2, N
 * virtual users) and prints, per scenario, requests, throughput, p50/p90/p99/max, error rate and
 * wrong-terminal-mode rate:
 * - baselines: controller Run (mock and extractive planners), gateway FetchRows and FetchSpan;
 * - scaling: Run (mock) and FetchRows at 1, 10, 50 and 200 virtual users, and each service's RSS after it;
 * - faults: policy engine down, policy engine silent, Postgres stopped and restarted (a private cluster the suite
 *   starts for it, or a TCP proxy cut in front of PECR_DB_URL's server when no server binaries are found), slow
 *   view under a short statement timeout — every request must end SOURCE_UNAVAILABLE within its deadline,
 *   failing with the fault's own error; the ledger must verify, every acknowledged call's events must be there
 *   and, where everything is refused, every refusal;
 * - limits: the same load against a bare Connect echo service (our bootstrap, and connect-node alone; also
 *   with h2load), and the ledger's raw INSERT rate; PECR's throughput as a fraction of each.
 * Writes target/perf/suite7.summary.json, checks the baseline scenarios against perf/baselines/suite7.json
 * (factors from reference §8.2, configurable) and exits 1 when a check fails or a figure regressed.
 *
 *   npm run perf -- [--opa] [--update-baseline] [--only baseline,scaling,faults,limits]
 *
 * Knobs (environment): see suite-options.ts and the README's "Performance suite" section.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { applyBaseline, configurationKey } from "./baseline-file.js";
import { runFaultScenarios, type SkippedScenario } from "./fault-scenarios.js";
import { createClientPool } from "./load-clients.js";
import { type ChainVerification, verifyChain } from "./ledger-audit.js";
import { type EchoLimit, type LedgerLimit, runEchoLimits, runLedgerLimit } from "./limit-scenarios.js";
import { GATEWAY_OPERATORS, type LoadShape, runControllerLoad, runGatewayLoad } from "./load-scenarios.js";
import { type PerfStack, createPerfStack } from "./perf-stack.js";
import { type LedgerCursor, type ScenarioCost, medianOf, withCost } from "./scenario-cost.js";
import { type ScenarioResult, failedToRun } from "./scenario-result.js";
import { type SuiteOutcome, judge, summaryOf } from "./suite-outcome.js";
import { printReport, verdict } from "./suite-report.js";
import { type SuiteOptions, readSuiteOptions } from "./suite-options.js";

/** Events ledger-bench appends per mode when measuring the raw INSERT limit (`PECR_PERF_LEDGER_EVENTS`). */
const DEFAULT_LEDGER_EVENTS = 2000;

const log = (line: string) => console.error(`perf: ${line}`);

/** Baselines and scaling points on a healthy stack; returns each service's RSS after them. */
async function runLoadParts(stack: PerfStack, options: SuiteOptions, results: ScenarioResult[], costs: ScenarioCost[]) {
  await stack.start({ controllers: ["mock", "extractive"] });
  const cursor: LedgerCursor = { seq: 0n };
  const shape: LoadShape = { users: options.users, durationMs: options.durationMs, warmupMs: options.warmupMs };
  if (options.parts.has("baseline")) {
    for (const planner of ["mock", "extractive"] as const) {
      log(`baseline: controller Run (${planner})`);
      const load = () => withCost(stack, cursor, costs, () => runControllerLoad(stack, options, `controller_run_${planner}`, "baseline", planner, shape));
      results.push(await medianOf(options.baselineRepeats, costs, load));
    }
    for (const [operator, call] of Object.entries(GATEWAY_OPERATORS)) {
      log(`baseline: gateway ${operator}`);
      const load = () => withCost(stack, cursor, costs, () => runGatewayLoad(stack, options, `gateway_${operator}`, "baseline", call, shape));
      results.push(await medianOf(options.baselineRepeats, costs, load));
    }
  }
  if (options.parts.has("scaling")) {
    for (const users of options.scalingUsers) {
      const point: LoadShape = { users, durationMs: options.scalingDurationMs, warmupMs: options.warmupMs };
      log(`scaling: ${users} VUs`);
      results.push(await runControllerLoad(stack, options, `scaling_controller_run_mock_${users}vu`, "scaling", "mock", point));
      results.push(await runGatewayLoad(stack, options, `scaling_gateway_fetch_rows_${users}vu`, "scaling", GATEWAY_OPERATORS.fetch_rows, point));
    }
  }
  return Promise.all(stack.services().map(async (service) => ({ service: service.name, rssBytes: await service.process.rssBytes() })));
}

/** The transport and ledger limits, each failure recorded rather than thrown. */
async function runLimits(options: SuiteOptions, workDir: string, logDir: string, results: ScenarioResult[]): Promise<{ echo: EchoLimit[]; ledger: LedgerLimit | undefined }> {
  let echo: EchoLimit[] = [];
  let ledger: LedgerLimit | undefined;
  try {
    echo = await runEchoLimits(options, workDir, logDir, log);
    results.push(...echo.map((limit) => limit.load));
  } catch (error) {
    results.push(failedToRun({ name: "echo_limits", group: "limit", users: options.users, expectedLabel: "echo" }, error));
  }
  log("limit: ledger raw INSERT (scripts/perf/ledger-bench.ts)");
  try {
    ledger = await runLedgerLimit(options, Number(process.env.PECR_PERF_LEDGER_EVENTS ?? DEFAULT_LEDGER_EVENTS));
  } catch (error) {
    results.push(failedToRun({ name: "ledger_limit", group: "limit", users: 0, expectedLabel: "raw INSERT rate" }, error));
  }
  return { echo, ledger };
}

async function main(): Promise<number> {
  let options: SuiteOptions;
  try {
    options = readSuiteOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const startedAt = new Date();
  const outDir = resolve(options.outDir);
  const logDir = join(outDir, "logs");
  await rm(logDir, { recursive: true, force: true });
  await mkdir(logDir, { recursive: true });
  const backend = options.dbUrl === undefined ? "pglite" : "postgres";
  const key = configurationKey(backend, options.opa ? "opa" : "embedded");
  log(`configuration ${key}; ${options.users} VUs x ${options.durationMs} ms per baseline; service logs in ${logDir}`);

  const results: ScenarioResult[] = [];
  const costs: ScenarioCost[] = [];
  let skipped: SkippedScenario[] = [];
  let limits: { echo: EchoLimit[]; ledger: LedgerLimit | undefined } = { echo: [], ledger: undefined };
  let memory: { service: string; rssBytes: number | undefined }[] = [];
  let finalChain: ChainVerification | undefined;

  // Limits first, with nothing else running, so the echo servers and the raw inserts have the machine alone.
  if (options.parts.has("limits")) {
    const workDir = await mkdtemp(join(tmpdir(), "pecr-perf-work-"));
    try {
      limits = await runLimits(options, workDir, logDir, results);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  if (options.parts.has("baseline") || options.parts.has("scaling") || options.parts.has("faults")) {
    const stack = await createPerfStack({ dbUrl: options.dbUrl, opa: options.opa, logDir, logLevel: options.logLevel });
    // The private Postgres cluster of the outage fault runs detached from the terminal (pg_ctl does that), so Ctrl-C
    // or a kill does not reach it: only `close` stops it and removes its directory.
    const interrupted = (signal: NodeJS.Signals) => {
      log(`${signal}: stopping the stack`);
      void stack.close().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    };
    process.once("SIGINT", interrupted);
    process.once("SIGTERM", interrupted);
    try {
      if (options.parts.has("baseline") || options.parts.has("scaling")) memory = await runLoadParts(stack, options, results, costs);
      if (options.parts.has("faults")) {
        const faults = await runFaultScenarios(stack, options, log);
        results.push(...faults.results);
        skipped = faults.skipped;
      }
      finalChain = await verifyChain(createClientPool(GatewayService, stack.gatewayUrl, 1, "auditor").forUser(0));
    } catch (error) {
      // The stack itself failed (a service did not start or died): report it with whatever was measured.
      results.push(failedToRun({ name: "stack", group: "baseline", users: 0, expectedLabel: "-" }, error));
    } finally {
      process.off("SIGINT", interrupted);
      process.off("SIGTERM", interrupted);
      await stack.close();
    }
  }

  const baselinePassed = results.filter((result) => result.group === "baseline").every((result) => verdict(result) !== "FAIL");
  const regression = await applyBaseline(options, key, results, baselinePassed);
  const outcome: SuiteOutcome = {
    options,
    startedAt,
    backend,
    key,
    results,
    skipped,
    costs,
    memory,
    echo: limits.echo,
    ledger: limits.ledger,
    finalChain,
    regression: regression.rows,
    regressionNote: regression.note,
  };
  const suiteVerdict = judge(outcome);
  printReport(outcome, suiteVerdict);

  await mkdir(outDir, { recursive: true });
  const summaryPath = join(outDir, "suite7.summary.json");
  await writeFile(summaryPath, `${JSON.stringify(summaryOf(outcome, suiteVerdict), null, 2)}\n`);
  console.log(`summary: ${summaryPath}`);
  return suiteVerdict.ok ? 0 : 1;
}

process.exitCode = await main();
