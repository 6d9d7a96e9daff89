/**
 * The suite's knobs, read once from the command line and the environment. Every duration and size has a short
 * default so `npm run perf` finishes in a few minutes on a 2-core machine; longer runs only need variables.
 */
import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "#core/observability/logger.js";

/** Which parts of the suite to run. */
export const SUITE_PARTS = ["baseline", "scaling", "faults", "limits"] as const;

/** A part of the suite. */
export type SuitePart = (typeof SUITE_PARTS)[number];

/**
 * How the `postgres_unavailable` fault takes Postgres away (`PECR_PERF_PG_FAULT`): `stop` stops and restarts a
 * private Postgres cluster the suite starts for it (never the server behind PECR_DB_URL), `proxy` cuts and
 * restores a TCP proxy between the gateway and PECR_DB_URL's server, `auto` stops a private cluster when server
 * binaries are found and falls back to the proxy otherwise.
 */
export const PG_FAULT_MECHANISMS = ["auto", "stop", "proxy"] as const;

/** A value of `PECR_PERF_PG_FAULT`. */
export type PgFaultMechanism = (typeof PG_FAULT_MECHANISMS)[number];

/** Regression factors (reference §8.2), each overridable by its variable. */
export interface RegressionFactors {
  /** `PECR_PERF_REGRESSION_P90_FACTOR` (1.8). */
  readonly p90Factor: number;
  /** `PECR_PERF_REGRESSION_P95_FACTOR` (1.8). */
  readonly p95Factor: number;
  /** `PECR_PERF_REGRESSION_P99_FACTOR` (1.8). */
  readonly p99Factor: number;
  /** `PECR_PERF_REGRESSION_ABS_MS` (400): a percentile may always grow by this much. */
  readonly absMs: number;
  /** `PECR_PERF_MIN_RATE_FACTOR` (0.85). */
  readonly minRateFactor: number;
  /** `PECR_PERF_RATE_ABS_DROP` (5 req/s): throughput may always drop by this much. */
  readonly rateAbsDrop: number;
}

/** The suite's options. */
export interface SuiteOptions {
  /** Real Postgres (`PECR_DB_URL`, else `PECR_BENCH_DB_URL`); undefined means embedded PGlite. */
  readonly dbUrl: string | undefined;
  /** Serve policy through `pecr opa-serve` (OPA's REST API) instead of the embedded engine (`--opa`). */
  readonly opa: boolean;
  /** Rewrite this configuration's entry of the baseline file (`--update-baseline`). */
  readonly updateBaseline: boolean;
  /** Parts to run (`--only baseline,faults`; default all). */
  readonly parts: ReadonlySet<SuitePart>;
  /** The committed baseline (`--baseline`, default perf/baselines/suite7.json). */
  readonly baselinePath: string;
  /** Where summaries and service logs go (`--out`, default target/perf). */
  readonly outDir: string;
  /** `PECR_PERF_VUS` (10): virtual users of the baselines. */
  readonly users: number;
  /** `PECR_PERF_DURATION_MS` (5000): measured time of each baseline. */
  readonly durationMs: number;
  /** `PECR_PERF_WARMUP_MS` (1000): unmeasured warm-up before each baseline and scaling point. */
  readonly warmupMs: number;
  /**
   * `PECR_PERF_BASELINE_REPEATS` (1): run each baseline this many times and keep the run of median throughput
   * (steadier figures on a shared machine, e.g. when recording the baseline).
   */
  readonly baselineRepeats: number;
  /** `PECR_PERF_FAULT_VUS` (10). */
  readonly faultUsers: number;
  /** `PECR_PERF_FAULT_DURATION_MS` (4000): each fault's load; the Postgres outage starts after its first third. */
  readonly faultDurationMs: number;
  /**
   * `PECR_PERF_PG_OUTAGE_MS` (12000): how long Postgres stays down (stopped, or cut off by the proxy), added to
   * the fault duration. It must outlast the slowest request during the outage (the controller's 10 s gateway
   * timeout today), or no request runs wholly inside it and the scenario asserts nothing about the outage itself.
   */
  readonly pgOutageMs: number;
  /**
   * `PECR_PERF_PG_RECOVERY_MS` (12000): how long the load goes on after Postgres is back; requests started in it
   * (after `PECR_PERF_RECOVERY_GRACE_MS`) must succeed. Like the outage, it must outlast requests that hung.
   */
  readonly pgRecoveryMs: number;
  /**
   * `PECR_PERF_PG_FAULT` (`auto`): how the Postgres outage is made (see `PG_FAULT_MECHANISMS`); `stop` makes
   * missing server binaries a failed scenario instead of a fallback, `proxy` forces the TCP proxy.
   */
  readonly pgFault: PgFaultMechanism;
  /** `PECR_PERF_SCALING_VUS` (1,10,50,200). */
  readonly scalingUsers: readonly number[];
  /** `PECR_PERF_SCALING_DURATION_MS` (3000) per point. */
  readonly scalingDurationMs: number;
  /** `PECR_PERF_LIMIT_DURATION_MS` (4000) per transport-limit run. */
  readonly limitDurationMs: number;
  /** `PECR_PERF_RUN_DEADLINE_MS` (30000, the reference's k6 timeout): client deadline of a Run. */
  readonly runDeadlineMs: number;
  /** `PECR_PERF_GATEWAY_DEADLINE_MS` (10000, the reference's k6 timeout): client deadline of a gateway call. */
  readonly gatewayDeadlineMs: number;
  /** `PECR_PERF_CONNECTIONS` (4): HTTP/2 connections the load generator opens to each service. */
  readonly connections: number;
  /**
   * `PECR_PERF_RECOVERY_GRACE_MS` (5000): requests started this soon after Postgres is back may still end
   * SOURCE_UNAVAILABLE (the pool reconnects); every request after it must succeed.
   */
  readonly recoveryGraceMs: number;
  /** `PECR_PERF_FAULTS`: names of the fault scenarios to run (default all), e.g. `postgres_unavailable`. */
  readonly faults: ReadonlySet<string> | undefined;
  /**
   * `PECR_PERF_LOG_LEVEL` (info): the level the services log at, to their files under the output directory.
   */
  readonly logLevel: LogLevel;
  /** `PECR_PERF_REGRESSION` (`enforce`): `warn` reports regressions without failing, `off` skips the check. */
  readonly regressionMode: "enforce" | "warn" | "off";
  /** The regression factors. */
  readonly factors: RegressionFactors;
}

const USAGE =
  "usage: npm run perf -- [--opa] [--update-baseline] [--only baseline,scaling,faults,limits] [--baseline FILE] [--out DIR]";

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Parses `argv` (after the script) and `env`; throws with the usage on invalid input. */
export function readSuiteOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SuiteOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        opa: { type: "boolean", default: false },
        "update-baseline": { type: "boolean", default: false },
        only: { type: "string" },
        baseline: { type: "string", default: "perf/baselines/suite7.json" },
        out: { type: "string", default: "target/perf" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`);
  }
  const parts = new Set<SuitePart>();
  for (const part of (values.only ?? SUITE_PARTS.join(",")).split(",").map((item) => item.trim()).filter((item) => item !== "")) {
    if (!(SUITE_PARTS as readonly string[]).includes(part)) throw new Error(`unknown part ${JSON.stringify(part)}\n${USAGE}`);
    parts.add(part as SuitePart);
  }
  const scaling = (env.PECR_PERF_SCALING_VUS ?? "1,10,50,200").split(",").map((item) => Number(item.trim()));
  if (scaling.some((users) => !Number.isInteger(users) || users < 1)) throw new Error("PECR_PERF_SCALING_VUS must list whole numbers >= 1");
  const regression = env.PECR_PERF_REGRESSION ?? "enforce";
  if (regression !== "enforce" && regression !== "warn" && regression !== "off") throw new Error("PECR_PERF_REGRESSION must be enforce, warn or off");
  // Checked here, not left to the services: pino refuses an unknown level by throwing at each service's start.
  const logLevel = env.PECR_PERF_LOG_LEVEL?.trim() || "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`PECR_PERF_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);
  }
  const pgFault = env.PECR_PERF_PG_FAULT?.trim() || "auto";
  if (!(PG_FAULT_MECHANISMS as readonly string[]).includes(pgFault)) {
    throw new Error(`PECR_PERF_PG_FAULT must be one of ${PG_FAULT_MECHANISMS.join(", ")}, got ${JSON.stringify(pgFault)}`);
  }
  const dbUrl = [env.PECR_DB_URL, env.PECR_BENCH_DB_URL].find((url) => url !== undefined && url.trim() !== "");
  return {
    dbUrl,
    opa: values.opa ?? false,
    updateBaseline: values["update-baseline"] ?? false,
    parts,
    baselinePath: values.baseline ?? "perf/baselines/suite7.json",
    outDir: values.out ?? "target/perf",
    users: numberFrom(env, "PECR_PERF_VUS", 10, 1),
    durationMs: numberFrom(env, "PECR_PERF_DURATION_MS", 5000, 100),
    warmupMs: numberFrom(env, "PECR_PERF_WARMUP_MS", 1000),
    baselineRepeats: Math.floor(numberFrom(env, "PECR_PERF_BASELINE_REPEATS", 1, 1)),
    faultUsers: numberFrom(env, "PECR_PERF_FAULT_VUS", 10, 1),
    faultDurationMs: numberFrom(env, "PECR_PERF_FAULT_DURATION_MS", 4000, 300),
    pgOutageMs: numberFrom(env, "PECR_PERF_PG_OUTAGE_MS", 12_000, 100),
    pgRecoveryMs: numberFrom(env, "PECR_PERF_PG_RECOVERY_MS", 12_000, 100),
    pgFault: pgFault as PgFaultMechanism,
    scalingUsers: scaling,
    scalingDurationMs: numberFrom(env, "PECR_PERF_SCALING_DURATION_MS", 3000, 100),
    limitDurationMs: numberFrom(env, "PECR_PERF_LIMIT_DURATION_MS", 4000, 100),
    runDeadlineMs: numberFrom(env, "PECR_PERF_RUN_DEADLINE_MS", 30_000, 1),
    gatewayDeadlineMs: numberFrom(env, "PECR_PERF_GATEWAY_DEADLINE_MS", 10_000, 1),
    connections: numberFrom(env, "PECR_PERF_CONNECTIONS", 4, 1),
    recoveryGraceMs: numberFrom(env, "PECR_PERF_RECOVERY_GRACE_MS", 5000),
    faults:
      env.PECR_PERF_FAULTS === undefined || env.PECR_PERF_FAULTS.trim() === ""
        ? undefined
        : new Set(env.PECR_PERF_FAULTS.split(",").map((name) => name.trim().replace(/^fault_/, ""))),
    logLevel: logLevel as LogLevel,
    regressionMode: regression,
    factors: {
      p90Factor: numberFrom(env, "PECR_PERF_REGRESSION_P90_FACTOR", 1.8),
      p95Factor: numberFrom(env, "PECR_PERF_REGRESSION_P95_FACTOR", 1.8),
      p99Factor: numberFrom(env, "PECR_PERF_REGRESSION_P99_FACTOR", 1.8),
      absMs: numberFrom(env, "PECR_PERF_REGRESSION_ABS_MS", 400),
      minRateFactor: numberFrom(env, "PECR_PERF_MIN_RATE_FACTOR", 0.85),
      rateAbsDrop: numberFrom(env, "PECR_PERF_RATE_ABS_DROP", 5),
    },
  };
}
