/**
 * The committed baseline (perf/baselines/suite7.json) and the regression lock of reference §8.2, applied to every
 * baseline scenario: for p90, p95 and p99, current <= max(baseline x factor, baseline + abs_ms); throughput >=
 * max(baseline x min_rate_factor, baseline - rate_abs_drop). The file keeps one entry per configuration (ledger
 * backend + policy engine), since a PGlite figure says nothing about a Postgres run; `--update-baseline`
 * rewrites the current configuration's entry only.
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { dirname } from "node:path";
import type { ScenarioResult } from "./scenario-result.js";
import type { RegressionFactors, SuiteOptions } from "./suite-options.js";

/** The figures kept per baseline scenario. */
export interface BaselineFigures {
  readonly requests: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** One configuration's baseline. */
export interface BaselineEntry {
  /** When it was recorded (ISO 8601). */
  readonly recordedAt: string;
  /** The machine it was recorded on. */
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  /** Virtual users and measured duration of each scenario. */
  readonly shape: { readonly users: number; readonly durationMs: number };
  /** Figures by scenario name. */
  readonly scenarios: Readonly<Record<string, BaselineFigures>>;
}

/** The file. */
export interface BaselineFile {
  readonly schemaVersion: 1;
  /** What the file is. */
  readonly description: string;
  /** Entries by configuration key (`postgres+embedded`, ...). */
  readonly configurations: Readonly<Record<string, BaselineEntry>>;
}

/** One compared figure. */
export interface RegressionRow {
  readonly scenario: string;
  readonly metric: "p90" | "p95" | "p99" | "throughput";
  readonly baseline: number;
  readonly current: number;
  /** The bound: a maximum for percentiles, a minimum for throughput. */
  readonly limit: number;
  readonly ok: boolean;
}

/** The configuration key of a run. */
export function configurationKey(backend: string, policy: string): string {
  return `${backend}+${policy}`;
}

/** Reads the baseline file; undefined when it does not exist. */
export async function readBaselineFile(path: string): Promise<BaselineFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as BaselineFile;
  if (parsed.schemaVersion !== 1 || typeof parsed.configurations !== "object") throw new Error(`${path}: not a suite7 baseline (schemaVersion 1)`);
  return parsed;
}

/** The baseline entry of `results` (baseline scenarios only). */
export function baselineEntryOf(results: readonly ScenarioResult[], shape: BaselineEntry["shape"]): BaselineEntry {
  const scenarios: Record<string, BaselineFigures> = {};
  const round = (value: number) => Math.round(value * 1000) / 1000;
  for (const result of results) {
    if (result.group !== "baseline") continue;
    scenarios[result.name] = {
      requests: result.requests,
      throughput: round(result.throughput),
      p50: round(result.p50),
      p90: round(result.p90),
      p95: round(result.p95),
      p99: round(result.p99),
      max: round(result.max),
    };
  }
  return {
    recordedAt: new Date().toISOString(),
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? "unknown", node: process.version },
    shape,
    scenarios,
  };
}

/** Writes `entry` as the `key` configuration, keeping the others. */
export async function updateBaselineFile(path: string, existing: BaselineFile | undefined, key: string, entry: BaselineEntry): Promise<void> {
  const file: BaselineFile = {
    schemaVersion: 1,
    description:
      "Suite 7 baseline figures recorded by `npm run perf -- --update-baseline` (ms and requests/s), one entry per ledger backend + policy engine; `npm run perf` fails when a baseline scenario regresses past the factors of reference §8.2.",
    configurations: { ...existing?.configurations, [key]: entry },
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** Compares the baseline scenarios of `results` with `entry`. */
export function compareWithBaseline(results: readonly ScenarioResult[], entry: BaselineEntry, factors: RegressionFactors): RegressionRow[] {
  const rows: RegressionRow[] = [];
  for (const result of results) {
    const base = entry.scenarios[result.name];
    if (result.group !== "baseline" || base === undefined) continue;
    const percentiles = [
      ["p90", factors.p90Factor],
      ["p95", factors.p95Factor],
      ["p99", factors.p99Factor],
    ] as const;
    for (const [metric, factor] of percentiles) {
      const limit = Math.max(base[metric] * factor, base[metric] + factors.absMs);
      rows.push({ scenario: result.name, metric, baseline: base[metric], current: result[metric], limit, ok: result[metric] <= limit });
    }
    const minimum = Math.max(base.throughput * factors.minRateFactor, base.throughput - factors.rateAbsDrop);
    rows.push({ scenario: result.name, metric: "throughput", baseline: base.throughput, current: result.throughput, limit: minimum, ok: result.throughput >= minimum });
  }
  return rows;
}

/**
 * The regression step of a run: with `--update-baseline`, records this configuration's entry (only when every
 * baseline scenario passed its checks); otherwise compares with the recorded entry, unless the check is off.
 */
export async function applyBaseline(
  options: SuiteOptions,
  key: string,
  results: readonly ScenarioResult[],
  baselinePassed: boolean,
): Promise<{ rows: RegressionRow[]; note: string }> {
  const file = await readBaselineFile(options.baselinePath);
  const hasBaselines = results.some((result) => result.group === "baseline");
  if (options.updateBaseline) {
    if (!hasBaselines) return { rows: [], note: "no baseline scenario ran: baseline not updated" };
    if (!baselinePassed) return { rows: [], note: "a baseline scenario failed its checks: baseline not updated" };
    await updateBaselineFile(options.baselinePath, file, key, baselineEntryOf(results, { users: options.users, durationMs: options.durationMs }));
    return { rows: [], note: `baseline ${key} written to ${options.baselinePath}` };
  }
  if (options.regressionMode === "off") return { rows: [], note: "regression check off (PECR_PERF_REGRESSION=off)" };
  const entry = file?.configurations[key];
  if (entry === undefined) return { rows: [], note: `no baseline for ${key} in ${options.baselinePath} (record one with --update-baseline)` };
  return {
    rows: compareWithBaseline(results, entry, options.factors),
    note: `against ${key} recorded ${entry.recordedAt} (${entry.shape.users} VUs x ${entry.shape.durationMs} ms)`,
  };
}
