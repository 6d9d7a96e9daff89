/**
 * The regression lock of reference §8.2 and the baseline file it reads.
 */
import test from "ava";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BaselineEntry,
  SPEED_BOUNDS,
  applyBaseline,
  baselineEntryOf,
  calibrationOf,
  compareWithBaseline,
  readBaselineFile,
  shapeMismatch,
  speedFactor,
  speedScaling,
  updateBaselineFile,
} from "./baseline-file.js";
import { failedToRun, type ScenarioResult } from "./scenario-result.js";
import { type RegressionFactors, readSuiteOptions } from "./suite-options.js";

const FACTORS: RegressionFactors = { p90Factor: 1.8, p95Factor: 1.8, p99Factor: 1.8, absMs: 400, minRateFactor: 0.85, rateAbsDrop: 5 };

function result(name: string, figures: Partial<ScenarioResult>, group: ScenarioResult["group"] = "baseline"): ScenarioResult {
  return { ...failedToRun({ name, group, users: 10, expectedLabel: "SUPPORTED" }, "unused"), checks: [], ...figures };
}

/** The original's recorded baseline (reference §8.3). */
const ORIGINAL: BaselineEntry = {
  recordedAt: "2026-02-04T00:00:00.000Z",
  machine: { cpus: 2, cpuModel: "test", node: "v20" },
  shape: { users: 10, durationMs: 10_000 },
  scenarios: { controller_run_mock: { requests: 707, throughput: 70, p50: 141.685, p90: 157.762, p95: 163.933, p99: 177.218, max: 191.139 } },
};

test("the limits derived from the original's baseline are the reference's: +400 ms dominates, throughput >= 65/s", (t) => {
  const rows = compareWithBaseline([result("controller_run_mock", { p90: 557, p95: 563, p99: 577, throughput: 65 })], ORIGINAL, FACTORS);
  const limits = Object.fromEntries(rows.map((row) => [row.metric, Math.round(row.limit * 100) / 100]));
  t.deepEqual(limits, { p90: 557.76, p95: 563.93, p99: 577.22, throughput: 65 });
  t.true(rows.every((row) => row.ok));
});

test("a percentile past its limit or a throughput under its floor is a regression; the factors are honoured", (t) => {
  const slow = compareWithBaseline([result("controller_run_mock", { p90: 100, p95: 100, p99: 578, throughput: 64.9 })], ORIGINAL, FACTORS);
  t.deepEqual(slow.filter((row) => !row.ok).map((row) => row.metric), ["p99", "throughput"]);
  const strict = compareWithBaseline([result("controller_run_mock", { p90: 300, p95: 100, p99: 100, throughput: 70 })], ORIGINAL, { ...FACTORS, absMs: 0 });
  t.deepEqual(strict.filter((row) => !row.ok).map((row) => row.metric), ["p90"]);
});

test("only baseline scenarios with a recorded figure are compared", (t) => {
  const rows = compareWithBaseline(
    [result("controller_run_mock", { p99: 1 }, "scaling"), result("gateway_fetch_rows", { p99: 1 })],
    ORIGINAL,
    FACTORS,
  );
  t.deepEqual(rows, []);
});

test("updating the baseline rewrites the current configuration and keeps the others", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pecr-baseline-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "nested", "suite7.json");
  t.is(await readBaselineFile(path), undefined);
  await updateBaselineFile(path, undefined, "pglite+embedded", ORIGINAL);
  const entry = baselineEntryOf([result("gateway_fetch_rows", { requests: 5, throughput: 12.34567, p90: 2 }), result("echo_bare", {}, "limit")], { users: 10, durationMs: 5000 });
  t.deepEqual(Object.keys(entry.scenarios), ["gateway_fetch_rows"]);
  t.is(entry.scenarios.gateway_fetch_rows?.throughput, 12.346);
  await updateBaselineFile(path, await readBaselineFile(path), "postgres+embedded", entry);
  const file = await readBaselineFile(path);
  t.deepEqual(Object.keys(file?.configurations ?? {}).sort(), ["pglite+embedded", "postgres+embedded"]);
  t.deepEqual(file?.configurations["pglite+embedded"], ORIGINAL);
  t.true((await readFile(path, "utf8")).endsWith("}\n"));
});

test("a file that is not a suite7 baseline is refused", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pecr-baseline-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(dir, "other.json"), '{"schemaVersion": 2}');
  await t.throwsAsync(readBaselineFile(join(dir, "other.json")), { message: /not a suite7 baseline/ });
});

/** A calibrated entry: recorded when the bare echo did 1000/s. */
const CALIBRATED: BaselineEntry = { ...ORIGINAL, calibration: { scenario: "echo_bare", throughput: 1000 } };

test("an entry records the bare echo of its run as its calibration, and only a run that measured it is calibrated", (t) => {
  const runResults = [result("gateway_fetch_rows", { requests: 50, throughput: 10 }), result("echo_bare", { requests: 900, throughput: 300 }, "limit")];
  t.deepEqual(baselineEntryOf(runResults, { users: 10, durationMs: 5000 }).calibration, { scenario: "echo_bare", throughput: 300 });
  t.is(baselineEntryOf(runResults.slice(0, 1), { users: 10, durationMs: 5000 }).calibration, undefined);
  t.is(calibrationOf([result("echo_bare", { requests: 0, throughput: 0 }, "limit")]), undefined, "an echo that answered nothing calibrates nothing");
  t.is(speedFactor(CALIBRATED, { scenario: "echo_bare", throughput: 250 }), 0.25);
  t.is(speedFactor(ORIGINAL, { scenario: "echo_bare", throughput: 250 }), undefined, "an entry recorded before calibration");
  t.is(speedFactor(CALIBRATED, undefined), undefined, "a run without the limits part");
  t.is(speedFactor(CALIBRATED, { scenario: "echo_bootstrap", throughput: 250 }), undefined, "a different reference");
});

test("on a machine a third as fast, figures a third as good pass and a code regression on top still fails", (t) => {
  const entry: BaselineEntry = {
    ...CALIBRATED,
    scenarios: { gateway_fetch_rows: { requests: 1000, throughput: 200, p50: 40, p90: 60, p95: 65, p99: 80, max: 90 } },
  };
  const strict = { ...FACTORS, absMs: 0, rateAbsDrop: 0 };
  const slowMachine = [result("gateway_fetch_rows", { throughput: 67, p90: 180, p95: 195, p99: 240 })];
  t.true(compareWithBaseline(slowMachine, entry, strict, 1 / 3).every((row) => row.ok));
  t.deepEqual(
    compareWithBaseline(slowMachine, entry, strict).filter((row) => !row.ok).map((row) => row.metric),
    ["p90", "p95", "p99", "throughput"],
    "uncalibrated, the slow machine looks like a regression",
  );
  const scaled = compareWithBaseline(slowMachine, entry, strict, 1 / 3).find((row) => row.metric === "throughput");
  t.is(Math.round(scaled?.baseline ?? 0), 67, "the row shows the baseline scaled to this machine");
  const regressed = [result("gateway_fetch_rows", { throughput: 50, p90: 180, p95: 195, p99: 500 })];
  t.deepEqual(compareWithBaseline(regressed, entry, strict, 1 / 3).filter((row) => !row.ok).map((row) => row.metric), ["p99", "throughput"]);
});

/** A baseline file holding `entry` as `pglite+embedded`, and the options of a run reading it. */
async function recorded(t: { teardown(fn: () => Promise<void>): void }, entry: BaselineEntry, env: NodeJS.ProcessEnv) {
  const dir = await mkdtemp(join(tmpdir(), "pecr-baseline-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "suite7.json");
  await updateBaselineFile(path, undefined, "pglite+embedded", entry);
  return readSuiteOptions(["--baseline", path], env);
}

test("a run at another load shape is not compared: no figure passes or fails, and the report says why", async (t) => {
  const entry: BaselineEntry = { ...ORIGINAL, shape: { users: 10, durationMs: 5000 } };
  const run = [result("controller_run_mock", { p90: 100, p95: 100, p99: 100, throughput: 1 })];
  const fiftyUsers = await applyBaseline(await recorded(t, entry, { PECR_PERF_VUS: "50" }), "pglite+embedded", run, true);
  t.deepEqual(fiftyUsers.rows, []);
  t.regex(fiftyUsers.note, /^not comparable with pglite\+embedded .*: recorded at 10 VUs x 5000 ms, this run is 50 VUs x 5000 ms/);
  const longer = await applyBaseline(await recorded(t, entry, { PECR_PERF_DURATION_MS: "10000" }), "pglite+embedded", run, true);
  t.deepEqual(longer.rows, []);
  t.regex(longer.note, /this run is 10 VUs x 10000 ms/);
  const same = await applyBaseline(await recorded(t, entry, {}), "pglite+embedded", run, true);
  t.deepEqual(same.rows.filter((row) => !row.ok).map((row) => row.metric), ["throughput"], "at the recorded shape the figures are judged");
  t.is(shapeMismatch(entry, { users: 10, durationMs: 5000 }), undefined);
});

test("the speed factor is clamped to [1/4, 4] and the report says when: a broken calibration cannot excuse any regression", async (t) => {
  t.deepEqual(speedScaling(CALIBRATED, { scenario: "echo_bare", throughput: 2000 }), { factor: 2, measured: 2, clamped: false });
  t.deepEqual(speedScaling(CALIBRATED, { scenario: "echo_bare", throughput: 100 }), { factor: SPEED_BOUNDS.min, measured: 0.1, clamped: true });
  t.deepEqual(speedScaling(CALIBRATED, { scenario: "echo_bare", throughput: 5000 }), { factor: SPEED_BOUNDS.max, measured: 5, clamped: true });
  t.is(speedScaling(ORIGINAL, { scenario: "echo_bare", throughput: 100 }), undefined);
  // Recorded at 70/s and p99 177 ms on a machine whose echo did 1000/s; today the echo does 100/s (x0.1).
  const entry: BaselineEntry = { ...CALIBRATED, shape: { users: 10, durationMs: 5000 } };
  const tenfold = [result("controller_run_mock", { p90: 1577, p95: 1639, p99: 1772, throughput: 7 }), result("echo_bare", { requests: 500, throughput: 100 }, "limit")];
  const options = await recorded(t, entry, {});
  const outcome = await applyBaseline({ ...options, factors: { ...FACTORS, absMs: 0, rateAbsDrop: 0 } }, "pglite+embedded", tenfold, true);
  t.regex(outcome.note, /x0\.25 clamped from x0\.10/);
  t.deepEqual(outcome.rows.filter((row) => !row.ok).map((row) => row.metric), ["p90", "p95", "p99", "throughput"]);
});
