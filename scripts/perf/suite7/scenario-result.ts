/**
 * Running one scenario and summarising it the way Suite 7 reports (reference §8.2): requests, throughput,
 * p50/p90/p95/p99/max over every request (failures included, as k6's http_req_duration), error rate (RPCs that
 * failed) and wrong-terminal-mode rate (requests whose mode, read from the response or the ErrorDetail hint,
 * is missing or not one the scenario expects at that moment), plus requests that missed their deadline.
 */
import { percentile } from "../support/latency-stats.js";
import { type TimedSample, runTimedLoop } from "../support/timed-loop.js";
import type { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { type CallOutcome, failureSignature, modeName } from "./call-outcome.js";
import type { Workload } from "./workloads.js";

/** The suite's groups of scenarios. */
export type ScenarioGroup = "baseline" | "fault" | "limit" | "scaling";

/** A scenario to run. */
export interface ScenarioSpec {
  /** Name (`controller_run_mock`, ...). */
  readonly name: string;
  /** Group. */
  readonly group: ScenarioGroup;
  /** Virtual users. */
  readonly users: number;
  /** Measured duration, ms. */
  readonly durationMs: number;
  /** Unmeasured warm-up, ms. */
  readonly warmupMs: number;
  /** Client deadline of each request, ms (a request past it counts as late). */
  readonly deadlineMs: number;
  /** What is expected, for the table (`SUPPORTED`, `SOURCE_UNAVAILABLE`, ...). */
  readonly expectedLabel: string;
  /** The terminal modes acceptable for a request that ran from `startMs` to `endMs` (window-relative). */
  readonly expected: (startMs: number, endMs: number) => ReadonlySet<TerminalMode>;
  /** The request (its signal aborts at the window's close, unless overruns are kept). */
  readonly request: Workload;
  /** Keep requests that end after the window (fault scenarios: every request is judged). */
  readonly includeOverrun?: boolean;
  /** Called when the measured window opens (e.g. to schedule a fault). */
  readonly onMeasureStart?: () => void;
}

/** A scenario's figures. */
export interface ScenarioResult {
  /** Name. */
  readonly name: string;
  /** Group. */
  readonly group: ScenarioGroup;
  /** Virtual users. */
  readonly users: number;
  /** The measured window, ms. */
  readonly elapsedMs: number;
  /** Requests completed in the window (fault scenarios: started in it). */
  readonly requests: number;
  /** Requests issued in all, warm-up included (for per-request ledger figures). */
  readonly issued: number;
  /** Requests per second. */
  readonly throughput: number;
  /** Latency percentiles and maximum, ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** Failed RPCs and their share. */
  readonly errors: number;
  readonly errorRate: number;
  /** Requests with a missing or unexpected terminal mode, and their share. */
  readonly wrongMode: number;
  readonly wrongModeRate: number;
  /** Requests that took longer than their deadline. */
  readonly late: number;
  /** The expected mode(s). */
  readonly expected: string;
  /** Requests per reported mode (`SUPPORTED`, `SOURCE_UNAVAILABLE`, `none`). */
  readonly modes: Record<string, number>;
  /** Failed RPCs per `gRPC code/ErrorDetail code message` (`failureSignature`). */
  readonly errorCodes: Record<string, number>;
  /** Extra figures, by scenario. */
  readonly notes: string[];
  /** What the scenario asserted. */
  readonly checks: Check[];
  /** Every request, for fault scenarios (window-relative ms, mode, failure), to see when what happened. */
  samples?: { startMs: number; endMs: number; mode: string; failure?: string }[];
}

/** One assertion of a scenario. */
export interface Check {
  /** What was asserted. */
  readonly name: string;
  /** Whether it held. */
  readonly ok: boolean;
  /** Figures behind it. */
  readonly detail: string;
  /** A failed enforced check fails the suite; others are reported only (scaling points). */
  readonly enforced: boolean;
}

/** Adds a check to `result`. */
export function check(result: ScenarioResult, name: string, ok: boolean, detail: string, enforced = true): void {
  result.checks.push({ name, ok, detail, enforced });
}

/** The samples of a run, for audits and custom judgements. */
export interface ScenarioRun {
  /** The summary. */
  readonly result: ScenarioResult;
  /** Every kept request. */
  readonly samples: readonly TimedSample<CallOutcome>[];
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Runs `spec` and summarises it. */
export async function runScenario(spec: ScenarioSpec): Promise<ScenarioRun> {
  const { samples, elapsedMs, issued } = await runTimedLoop(
    {
      users: spec.users,
      durationMs: spec.durationMs,
      warmupMs: spec.warmupMs,
      includeOverrun: spec.includeOverrun ?? false,
      ...(spec.onMeasureStart ? { onMeasureStart: spec.onMeasureStart } : {}),
    },
    spec.request,
  );
  const latencies = samples.map((sample) => sample.endMs - sample.startMs).sort((a, b) => a - b);
  const modes: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  let errors = 0;
  let wrongMode = 0;
  let late = 0;
  for (const sample of samples) {
    const { outcome } = sample;
    increment(modes, modeName(outcome.mode));
    if (!outcome.rpcOk) {
      errors++;
      increment(errorCodes, failureSignature(outcome));
    }
    if (outcome.mode === undefined || !spec.expected(sample.startMs, sample.endMs).has(outcome.mode)) wrongMode++;
    if (sample.endMs - sample.startMs > spec.deadlineMs) late++;
  }
  const requests = samples.length;
  const kept =
    spec.group === "fault"
      ? samples.map((sample) => ({
          startMs: Math.round(sample.startMs),
          endMs: Math.round(sample.endMs),
          mode: modeName(sample.outcome.mode),
          ...(sample.outcome.rpcOk ? {} : { failure: failureSignature(sample.outcome) }),
        }))
      : undefined;
  return {
    samples,
    result: {
      name: spec.name,
      group: spec.group,
      users: spec.users,
      elapsedMs,
      requests,
      issued,
      throughput: requests / (elapsedMs / 1000),
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      wrongMode,
      wrongModeRate: requests === 0 ? 0 : wrongMode / requests,
      late,
      expected: spec.expectedLabel,
      modes,
      errorCodes,
      notes: [],
      checks: [],
      ...(kept === undefined ? {} : { samples: kept }),
    },
  };
}

/** The result of a scenario that could not run (`error` says why), with its failed check. */
export function failedToRun(spec: Pick<ScenarioSpec, "name" | "group" | "users" | "expectedLabel">, error: unknown): ScenarioResult {
  const result: ScenarioResult = {
    name: spec.name,
    group: spec.group,
    users: spec.users,
    elapsedMs: 0,
    requests: 0,
    issued: 0,
    throughput: 0,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    max: 0,
    errors: 0,
    errorRate: 0,
    wrongMode: 0,
    wrongModeRate: 0,
    late: 0,
    expected: spec.expectedLabel,
    modes: {},
    errorCodes: {},
    notes: [],
    checks: [],
  };
  check(result, "scenario ran", false, error instanceof Error ? error.message : String(error));
  return result;
}

/** A constant expectation. */
export function always(...modes: TerminalMode[]): (startMs: number, endMs: number) => ReadonlySet<TerminalMode> {
  const set = new Set(modes);
  return () => set;
}
