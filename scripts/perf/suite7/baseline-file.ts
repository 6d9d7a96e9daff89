/**
 * The committed baseline (perf/baselines/suite7.json) and the regression lock of reference §8.2, applied to every
 * baseline scenario: for p90, p95 and p99, current <= max(baseline x factor, baseline + abs_ms); throughput >=
 * max(baseline x min_rate_factor, baseline - rate_abs_drop). The file keeps one entry per configuration (ledger
 * backend + policy engine), since a PGlite figure says nothing about a Postgres run; `--update-baseline`
 * rewrites the current configuration's entry only.
 *
 * Machines of one kind differ in speed from day to day (shared hosts), by a factor of three or more, and such a
 * difference is not a regression of the code. So an entry also keeps a calibration: the throughput of the bare
 * connect-node echo under the same load generator, measured in the same run. It contains no PECR code, so a
 * regression of ours cannot hide in it. When both the entry and the current run have it, the baseline figures are
 * first scaled to this machine's speed (throughput x speed, latencies / speed, speed = current echo / recorded
 * echo) and the factors apply to the scaled figures. The speed is clamped to [1/4, 4] (`SPEED_BOUNDS`).
 *
 * Figures are only comparable at the same load shape: at 50 virtual users a closed loop queues five times the
 * requests of 10, so its latencies say nothing against 10-user figures. A run whose users or measured duration
 * differ from the entry's is not compared at all (neither pass nor fail), and the report says why.
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { dirname } from "node:path";
import type { ScenarioResult } from "./scenario-result.js";
import type { RegressionFactors, SuiteOptions } from "./suite-options.js";

/** The figures kept per baseline scenario: a scenario result's counts, throughput and latencies. */
export type BaselineFigures = Pick<ScenarioResult, "requests" | "throughput" | "p50" | "p90" | "p95" | "p99" | "max">;

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
  /** The machine's speed when it was recorded; absent in entries recorded before calibration existed. */
  readonly calibration?: Calibration;
}

/** A speed reference measured in the same run as the figures it calibrates. */
export interface Calibration {
  /** The scenario measured (`echo_bare`: connect-node alone, no PECR code). */
  readonly scenario: string;
  /** Its throughput, requests/s. */
  readonly throughput: number;
}

/** The limit scenario whose throughput calibrates a run. */
export const CALIBRATION_SCENARIO = "echo_bare";

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
  /** The recorded figure, scaled to this machine's speed when the run is calibrated. */
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

/** The calibration measured in `results`, if the calibration scenario ran and answered. */
export function calibrationOf(results: readonly ScenarioResult[]): Calibration | undefined {
  const echo = results.find((result) => result.name === CALIBRATION_SCENARIO);
  if (echo === undefined || echo.requests === 0 || !(echo.throughput > 0)) return undefined;
  return { scenario: CALIBRATION_SCENARIO, throughput: Math.round(echo.throughput * 1000) / 1000 };
}

/**
 * Bounds of the speed factor. Days on one kind of machine differ by a factor of three or so; a factor past 4
 * means the calibration itself went wrong (the echo starved by another process, a different kind of machine),
 * and left unbounded it would excuse any regression: at speed 1/10 a tenfold latency passes.
 */
export const SPEED_BOUNDS = { min: 1 / 4, max: 4 } as const;

/** The speed factor a comparison uses. */
export interface SpeedScaling {
  /** The factor applied (the measured one within `SPEED_BOUNDS`). */
  readonly factor: number;
  /** The factor measured (current / recorded calibration). */
  readonly measured: number;
  /** The measured factor was outside the bounds. */
  readonly clamped: boolean;
}

/** This run's speed relative to `entry`'s (current / recorded), when both were calibrated on the same scenario. */
export function speedFactor(entry: BaselineEntry, current: Calibration | undefined): number | undefined {
  const recorded = entry.calibration;
  if (recorded === undefined || current === undefined || recorded.scenario !== current.scenario || !(recorded.throughput > 0)) return undefined;
  return current.throughput / recorded.throughput;
}

/** `speedFactor` within `SPEED_BOUNDS`; undefined when the run is not calibrated against `entry`. */
export function speedScaling(entry: BaselineEntry, current: Calibration | undefined): SpeedScaling | undefined {
  const measured = speedFactor(entry, current);
  if (measured === undefined) return undefined;
  const factor = Math.min(SPEED_BOUNDS.max, Math.max(SPEED_BOUNDS.min, measured));
  return { factor, measured, clamped: factor !== measured };
}

/** Why figures of load shape `current` cannot be compared with `entry`'s, or undefined when they can. */
export function shapeMismatch(entry: BaselineEntry, current: BaselineEntry["shape"]): string | undefined {
  const recorded = entry.shape;
  if (recorded.users === current.users && recorded.durationMs === current.durationMs) return undefined;
  return `recorded at ${recorded.users} VUs x ${recorded.durationMs} ms, this run is ${current.users} VUs x ${current.durationMs} ms`;
}

/** The baseline entry of `results` (baseline scenarios only), calibrated when the calibration scenario ran. */
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
  const calibration = calibrationOf(results);
  return {
    recordedAt: new Date().toISOString(),
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? "unknown", node: process.version },
    shape,
    scenarios,
    ...(calibration === undefined ? {} : { calibration }),
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

/**
 * Compares the baseline scenarios of `results` with `entry`, whose figures are first scaled by `speed` (this
 * machine's speed relative to the recording one; 1 when uncalibrated).
 */
export function compareWithBaseline(results: readonly ScenarioResult[], entry: BaselineEntry, factors: RegressionFactors, speed = 1): RegressionRow[] {
  const rows: RegressionRow[] = [];
  for (const result of results) {
    const recorded = entry.scenarios[result.name];
    if (result.group !== "baseline" || recorded === undefined) continue;
    const percentiles = [
      ["p90", factors.p90Factor],
      ["p95", factors.p95Factor],
      ["p99", factors.p99Factor],
    ] as const;
    for (const [metric, factor] of percentiles) {
      // A machine twice as slow takes twice as long per request, at the same concurrency.
      const base = recorded[metric] / speed;
      const limit = Math.max(base * factor, base + factors.absMs);
      rows.push({ scenario: result.name, metric, baseline: base, current: result[metric], limit, ok: result[metric] <= limit });
    }
    const base = recorded.throughput * speed;
    const minimum = Math.max(base * factors.minRateFactor, base - factors.rateAbsDrop);
    rows.push({ scenario: result.name, metric: "throughput", baseline: base, current: result.throughput, limit: minimum, ok: result.throughput >= minimum });
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
    const entry = baselineEntryOf(results, { users: options.users, durationMs: options.durationMs });
    await updateBaselineFile(options.baselinePath, file, key, entry);
    const calibrated =
      entry.calibration === undefined
        ? `without a calibration (${CALIBRATION_SCENARIO} did not run: include the limits part)`
        : `calibrated at ${CALIBRATION_SCENARIO} ${entry.calibration.throughput.toFixed(0)}/s`;
    return { rows: [], note: `baseline ${key} written to ${options.baselinePath}, ${calibrated}` };
  }
  if (options.regressionMode === "off") return { rows: [], note: "regression check off (PECR_PERF_REGRESSION=off)" };
  if (!hasBaselines) return { rows: [], note: "no baseline scenario ran: nothing compared" };
  const entry = file?.configurations[key];
  if (entry === undefined) return { rows: [], note: `no baseline for ${key} in ${options.baselinePath} (record one with --update-baseline)` };
  const mismatch = shapeMismatch(entry, { users: options.users, durationMs: options.durationMs });
  if (mismatch !== undefined) {
    return { rows: [], note: `not comparable with ${key} recorded ${entry.recordedAt}: ${mismatch} (run at the recorded shape, or record this one with --update-baseline)` };
  }
  const speed = speedScaling(entry, calibrationOf(results));
  const against = `against ${key} recorded ${entry.recordedAt} (${entry.shape.users} VUs x ${entry.shape.durationMs} ms)`;
  const clamped =
    speed?.clamped === true
      ? ` clamped from x${speed.measured.toFixed(2)} to [${SPEED_BOUNDS.min.toFixed(2)}, ${SPEED_BOUNDS.max.toFixed(2)}]: a calibration that far off is suspect, so it excuses no more than that`
      : "";
  const scaled =
    speed === undefined
      ? entry.calibration === undefined
        ? "; the entry has no calibration, so its figures are compared as recorded (re-record it with --update-baseline)"
        : `; this run did not measure ${entry.calibration.scenario}, so the figures are compared as recorded`
      : `; baseline scaled to this machine's speed, x${speed.factor.toFixed(2)}${clamped} (${entry.calibration?.scenario} ${calibrationOf(results)?.throughput.toFixed(0)}/s now, ${entry.calibration?.throughput.toFixed(0)}/s when recorded)`;
  return { rows: compareWithBaseline(results, entry, options.factors, speed?.factor ?? 1), note: against + scaled };
}
