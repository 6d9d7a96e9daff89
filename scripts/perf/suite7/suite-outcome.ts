/**
 * Everything one run of the suite measured, its verdict (every enforced check held, and no figure regressed
 * when the regression check is enforced) and the JSON summary written to target/perf/suite7.summary.json.
 */
import { availableParallelism, cpus } from "node:os";
import type { RegressionRow } from "./baseline-file.js";
import type { SkippedScenario } from "./fault-scenarios.js";
import type { ChainVerification } from "./ledger-audit.js";
import type { EchoLimit, LedgerLimit } from "./limit-scenarios.js";
import type { ScenarioCost } from "./scenario-cost.js";
import type { ScenarioResult } from "./scenario-result.js";
import { failedChecks } from "./suite-report.js";
import type { SuiteOptions } from "./suite-options.js";

/** What a run measured. */
export interface SuiteOutcome {
  readonly options: SuiteOptions;
  readonly startedAt: Date;
  /** `postgres` or `pglite`. */
  readonly backend: "postgres" | "pglite";
  /** The baseline configuration key (`postgres+embedded`, ...). */
  readonly key: string;
  readonly results: ScenarioResult[];
  readonly skipped: SkippedScenario[];
  readonly costs: ScenarioCost[];
  /** RSS of each service after the load. */
  readonly memory: { service: string; rssBytes: number | undefined }[];
  readonly echo: EchoLimit[];
  readonly ledger: LedgerLimit | undefined;
  /** VerifyLedger at the end of the suite. */
  readonly finalChain: ChainVerification | undefined;
  /** The regression rows, and what the check did. */
  readonly regression: RegressionRow[];
  readonly regressionNote: string;
}

/** The verdict of a run. */
export interface SuiteVerdict {
  /** One line per failed check (`FAIL ...` when enforced, `info ...` otherwise). */
  readonly failures: string[];
  /** Figures past their regression limits. */
  readonly regressed: RegressionRow[];
  /** Enforced checks failed. */
  readonly failedChecks: number;
  /** The suite passes. */
  readonly ok: boolean;
}

/** Judges `outcome`. */
export function judge(outcome: SuiteOutcome): SuiteVerdict {
  const failures = failedChecks(outcome.results);
  if (outcome.finalChain !== undefined && !outcome.finalChain.ok) failures.push(`FAIL ledger chain after the suite: ${outcome.finalChain.firstBreak}`);
  const regressed = outcome.regression.filter((row) => !row.ok);
  const failed = failures.filter((line) => line.startsWith("FAIL")).length;
  const ok = failed === 0 && !(outcome.options.regressionMode === "enforce" && regressed.length > 0);
  return { failures, regressed, failedChecks: failed, ok };
}

/** The JSON summary (no credentials: the database URL is only said to be set). */
export function summaryOf(outcome: SuiteOutcome, verdict: SuiteVerdict): unknown {
  const { options } = outcome;
  return {
    schemaVersion: 1,
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    configuration: { key: outcome.key, backend: outcome.backend, policy: options.opa ? "opa" : "embedded" },
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? "unknown", node: process.version },
    options: {
      ...options,
      dbUrl: options.dbUrl === undefined ? undefined : "(set)",
      parts: [...options.parts],
      faults: options.faults === undefined ? undefined : [...options.faults],
    },
    scenarios: outcome.results,
    skipped: outcome.skipped,
    costs: outcome.costs,
    memory: outcome.memory,
    limits: { echo: outcome.echo, ledger: outcome.ledger },
    ledgerAfterSuite: outcome.finalChain === undefined ? undefined : { ...outcome.finalChain, headSeq: String(outcome.finalChain.headSeq) },
    regression: { note: outcome.regressionNote, mode: options.regressionMode, rows: outcome.regression },
    failures: verdict.failures,
    ok: verdict.ok,
  };
}
