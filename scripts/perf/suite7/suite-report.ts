/**
 * The suite's printed report: the scenario table (requests, throughput, p50/p90/p99/max, error rate,
 * wrong-terminal-mode rate, verdict), the scaling table, the limits side by side, the services' memory, the
 * regression check and the failed checks. Everything goes to stdout; progress lines go to stderr.
 */
import { availableParallelism } from "node:os";
import type { RegressionRow } from "./baseline-file.js";
import type { EchoLimit, LedgerLimit } from "./limit-scenarios.js";
import type { ScenarioCost } from "./scenario-cost.js";
import type { ScenarioResult } from "./scenario-result.js";
import type { SuiteOutcome, SuiteVerdict } from "./suite-outcome.js";

/** Issue #10's targets (2-core machine, real Postgres, 10 VUs), reported, not enforced. */
const TARGETS = [
  { scenario: "controller_run_mock", minThroughput: 700, maxP99: 50 },
  { scenario: "gateway_fetch_rows", minThroughput: 1000, maxP99: 20 },
] as const;
/** The scaling table's columns. */
const SCALING_WORKLOADS = [
  { label: "Run (mock)", prefix: "scaling_controller_run_mock" },
  { label: "FetchRows", prefix: "scaling_gateway_fetch_rows" },
] as const;

/** Prints rows as an aligned table; the first column is left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const format = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ").trimEnd();
  return [format(header), ...rows.map(format)].join("\n");
}

const ms = (value: number) => value.toFixed(1);
const mib = (bytes: number | undefined) => (bytes === undefined ? "-" : `${(bytes / 1024 / 1024).toFixed(0)} MiB`);
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/** A scenario's verdict: PASS, FAIL (an enforced check failed) or `info` (only unenforced checks failed). */
export function verdict(result: ScenarioResult): "PASS" | "FAIL" | "info" {
  if (result.checks.some((check) => check.enforced && !check.ok)) return "FAIL";
  if (result.checks.some((check) => !check.ok)) return "info";
  return "PASS";
}

/** The main table. */
export function scenarioTable(results: readonly ScenarioResult[]): string {
  return formatTable(
    ["scenario", "VUs", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "wrong mode", "expected", "result"],
    results.map((result) => [
      result.name,
      String(result.users),
      String(result.requests),
      result.throughput.toFixed(1),
      ms(result.p50),
      ms(result.p90),
      ms(result.p99),
      ms(result.max),
      pct(result.errorRate),
      pct(result.wrongModeRate),
      result.expected.length > 28 ? `${result.expected.slice(0, 27)}…` : result.expected,
      verdict(result),
    ]),
  );
}

/** The scaling table: one row per VU count, throughput and p99 per workload. */
export function scalingTable(results: readonly ScenarioResult[], workloads: readonly { label: string; prefix: string }[], users: readonly number[]): string {
  const header = ["VUs", ...workloads.flatMap((workload) => [`${workload.label} req/s`, `${workload.label} p99 ms`, "wrong"])];
  const rows = users.map((count) => [
    String(count),
    ...workloads.flatMap((workload) => {
      const result = results.find((candidate) => candidate.name === `${workload.prefix}_${count}vu`);
      if (result === undefined) return ["-", "-", "-"];
      // No request completed inside the window: the point is past what the service can answer in that time.
      if (result.requests === 0) return ["0", "-", "-"];
      return [result.throughput.toFixed(1), ms(result.p99), pct(result.wrongModeRate)];
    }),
  ]);
  return formatTable(header, rows);
}

/** The regression rows. */
export function regressionTable(rows: readonly RegressionRow[]): string {
  return formatTable(
    ["scenario", "metric", "baseline", "current", "limit", "result"],
    rows.map((row) => [
      row.scenario,
      row.metric,
      row.baseline.toFixed(1),
      row.current.toFixed(1),
      `${row.metric === "throughput" ? ">=" : "<="} ${row.limit.toFixed(1)}`,
      row.ok ? "ok" : "REGRESSED",
    ]),
  );
}

/** Every failed check, one line each. */
export function failedChecks(results: readonly ScenarioResult[]): string[] {
  return results.flatMap((result) =>
    result.checks.filter((check) => !check.ok).map((check) => `${check.enforced ? "FAIL" : "info"} ${result.name}: ${check.name} (${check.detail})`),
  );
}

/** The limits table: each limit's throughput and PECR's baselines as a fraction of it. */
export function limitsTable(results: readonly ScenarioResult[], echo: readonly EchoLimit[]): string {
  const baselines = results.filter((result) => result.group === "baseline");
  const rows: string[][] = [];
  for (const limit of echo) {
    const label = limit.mode === "bootstrap" ? "echo, our startServer" : "echo, bare connect-node";
    const variants: [string, number | undefined][] = [
      [`${label} (Node load generator)`, limit.load.throughput],
      [`${label} (h2load)`, "skipped" in limit.h2load ? undefined : limit.h2load.throughput],
    ];
    for (const [name, throughput] of variants) {
      rows.push([
        name,
        throughput === undefined ? "-" : throughput.toFixed(0),
        ...baselines.map((result) => (throughput === undefined || throughput === 0 ? "-" : `${((result.throughput / throughput) * 100).toFixed(2)}%`)),
      ]);
    }
  }
  return formatTable(["limit (same machine)", "req/s", ...baselines.map((result) => result.name)], rows);
}

/** PECR's ledger writes against the raw INSERT rate: events per request and per second, and their share. */
export function ledgerTable(ledger: LedgerLimit, results: readonly ScenarioResult[], costs: readonly ScenarioCost[]): string {
  const rows = results
    .filter((result) => result.group === "baseline")
    .map((result) => {
      const perRequest = costs.find((cost) => cost.scenario === result.name)?.eventsPerRequest ?? 0;
      const eventsPerSecond = perRequest * result.throughput;
      return [
        result.name,
        result.throughput.toFixed(1),
        perRequest.toFixed(1),
        eventsPerSecond.toFixed(0),
        `${((eventsPerSecond / ledger.rawInsertsPerSecond) * 100).toFixed(1)}%`,
        `${((result.throughput / ledger.rawInsertsPerSecond) * 100).toFixed(2)}%`,
      ];
    });
  return formatTable(["scenario", "req/s", "events/req", "events/s", "events/s of raw", "req/s of raw"], rows);
}

/** Prints the whole report to stdout. */
export function printReport(outcome: SuiteOutcome, verdict: SuiteVerdict): void {
  const { options, results } = outcome;
  const out = (text = "") => console.log(text);
  const backendLabel = outcome.backend === "postgres" ? "Postgres (fresh schema)" : "PGlite (embedded)";
  out();
  out(`PECR Suite 7 — ledger ${backendLabel}, policy ${options.opa ? "OPA REST (pecr opa-serve)" : "embedded"}, ${availableParallelism()} CPUs, Node ${process.version}`);
  out(`load: closed loop, gRPC over HTTP/2, ${options.connections} connections per service; deadlines Run ${options.runDeadlineMs} ms, gateway ${options.gatewayDeadlineMs} ms`);
  out();
  const mainRows = results.filter((result) => result.group !== "scaling");
  if (mainRows.length > 0) out(scenarioTable(mainRows));
  for (const skip of outcome.skipped) out(`skipped ${skip.name}: ${skip.reason}`);
  const noted = results.filter((result) => result.notes.length > 0);
  if (noted.length > 0) out(`\n${noted.map((result) => `${result.name}: ${result.notes.join("; ")}`).join("\n")}`);
  if (results.some((result) => result.group === "scaling")) {
    out(`\nscaling (closed loop, ${options.scalingDurationMs} ms per point):`);
    out(scalingTable(results, SCALING_WORKLOADS, options.scalingUsers));
  }
  if (outcome.memory.length > 0) out(`\nRSS after the load: ${outcome.memory.map((entry) => `${entry.service} ${mib(entry.rssBytes)}`).join(", ")}`);
  if (outcome.echo.length > 0) {
    out("\nthe limit, side by side (PECR baseline throughput as a fraction of each):");
    out(limitsTable(results, outcome.echo));
    for (const limit of outcome.echo) {
      const h2 = limit.h2load;
      if ("skipped" in h2) out(`h2load (${limit.mode}): ${h2.skipped}`);
      else out(`h2load (${limit.mode}): ${h2.clients} connections x ${h2.streams} streams, mean ${h2.meanMs.toFixed(2)} ms, max ${h2.maxMs.toFixed(1)} ms, ${h2.failed} failed; server RSS ${mib(limit.rssBytes)}`);
    }
  }
  const { ledger } = outcome;
  if (ledger !== undefined) {
    out(`\nledger limit: raw INSERT ${ledger.rawInsertsPerSecond} rows/s, group-commit append ${ledger.groupCommitPerSecond ?? "-"} events/s (${ledger.backend}; ${ledger.command})`);
    if (outcome.costs.length > 0) out(ledgerTable(ledger, results, outcome.costs));
  }
  if (outcome.backend === "postgres" && options.users === 10) {
    const lines = TARGETS.flatMap((target) => {
      const result = results.find((candidate) => candidate.name === target.scenario);
      if (result === undefined) return [];
      const met = result.throughput >= target.minThroughput && result.p99 <= target.maxP99;
      return [`${target.scenario} >= ${target.minThroughput}/s and p99 <= ${target.maxP99} ms: ${met ? "met" : "not met"} (${result.throughput.toFixed(0)}/s, p99 ${result.p99.toFixed(1)} ms)`];
    });
    if (lines.length > 0) out(`\nissue #10 targets (reported, not enforced):\n${lines.join("\n")}`);
  }
  const chain = outcome.finalChain;
  if (chain !== undefined) out(`\nledger after the suite: ${chain.ok ? "verifies" : `BROKEN ${chain.firstBreak}`} (${chain.eventsVerified} events)`);
  out(`\nregression check: ${outcome.regressionNote}`);
  if (outcome.regression.length > 0) out(regressionTable(outcome.regression));
  if (verdict.failures.length > 0) out(`\n${verdict.failures.join("\n")}`);
  const unenforced = verdict.regressed.length > 0 && options.regressionMode !== "enforce" ? ", not enforced" : "";
  out(`\nsuite7: ${verdict.ok ? "PASS" : "FAIL"} (${verdict.failedChecks} failed checks, ${verdict.regressed.length} regressed figures${unenforced})`);
}
