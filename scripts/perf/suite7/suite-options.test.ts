/**
 * The suite's command line and environment.
 */
import test from "ava";
import { readSuiteOptions } from "./suite-options.js";

test("without flags or variables the suite runs every part on PGlite with short defaults and the reference's factors", (t) => {
  const options = readSuiteOptions([], {});
  t.is(options.dbUrl, undefined);
  t.false(options.opa);
  t.deepEqual([...options.parts], ["baseline", "scaling", "faults", "limits"]);
  t.deepEqual(options.scalingUsers, [1, 10, 50, 200]);
  t.is(options.users, 10);
  t.is(options.regressionMode, "enforce");
  t.deepEqual(options.factors, { p90Factor: 1.8, p95Factor: 1.8, p99Factor: 1.8, absMs: 400, minRateFactor: 0.85, rateAbsDrop: 5 });
  t.is(options.baselinePath, "perf/baselines/suite7.json");
});

test("flags and variables override the defaults; PECR_DB_URL wins over PECR_BENCH_DB_URL", (t) => {
  const options = readSuiteOptions(["--opa", "--update-baseline", "--only", "faults,limits"], {
    PECR_BENCH_DB_URL: "postgres://bench",
    PECR_DB_URL: "postgres://db",
    PECR_PERF_VUS: "25",
    PECR_PERF_SCALING_VUS: "2, 4",
    PECR_PERF_REGRESSION_P99_FACTOR: "3",
    PECR_PERF_REGRESSION: "warn",
    PECR_PERF_FAULTS: "fault_opa_timeout,postgres_unavailable",
  });
  t.is(options.dbUrl, "postgres://db");
  t.true(options.opa && options.updateBaseline);
  t.deepEqual([...options.parts], ["faults", "limits"]);
  t.is(options.users, 25);
  t.deepEqual(options.scalingUsers, [2, 4]);
  t.is(options.factors.p99Factor, 3);
  t.is(options.regressionMode, "warn");
  t.deepEqual([...(options.faults ?? [])], ["opa_timeout", "postgres_unavailable"]);
  t.is(readSuiteOptions([], { PECR_BENCH_DB_URL: "postgres://bench" }).dbUrl, "postgres://bench");
});

test("invalid flags and values are refused with a message", (t) => {
  t.throws(() => readSuiteOptions(["--only", "everything"], {}), { message: /unknown part "everything"/ });
  t.throws(() => readSuiteOptions(["--fast"], {}), { message: /usage: npm run perf/ });
  t.throws(() => readSuiteOptions([], { PECR_PERF_VUS: "0" }), { message: /PECR_PERF_VUS must be a number >= 1/ });
  t.throws(() => readSuiteOptions([], { PECR_PERF_SCALING_VUS: "1,x" }), { message: /PECR_PERF_SCALING_VUS/ });
  t.throws(() => readSuiteOptions([], { PECR_PERF_REGRESSION: "maybe" }), { message: /PECR_PERF_REGRESSION/ });
});

test("the services' log level is info unless PECR_PERF_LOG_LEVEL names another of the services' levels", (t) => {
  t.is(readSuiteOptions([], {}).logLevel, "info");
  t.is(readSuiteOptions([], { PECR_PERF_LOG_LEVEL: "debug" }).logLevel, "debug");
  t.is(readSuiteOptions([], { PECR_PERF_LOG_LEVEL: "silent" }).logLevel, "silent");
  t.throws(() => readSuiteOptions([], { PECR_PERF_LOG_LEVEL: "verbose" }), { message: /PECR_PERF_LOG_LEVEL must be one of fatal, error/ });
});

test("the Postgres outage stops a private cluster when it can unless PECR_PERF_PG_FAULT says otherwise", (t) => {
  t.is(readSuiteOptions([], {}).pgFault, "auto");
  t.is(readSuiteOptions([], { PECR_PERF_PG_FAULT: "proxy" }).pgFault, "proxy");
  t.is(readSuiteOptions([], { PECR_PERF_PG_FAULT: " stop " }).pgFault, "stop");
  t.throws(() => readSuiteOptions([], { PECR_PERF_PG_FAULT: "kill" }), { message: /PECR_PERF_PG_FAULT must be one of auto, stop, proxy, got "kill"/ });
});
