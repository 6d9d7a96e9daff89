import test from "ava";
import { createConfigReader } from "#core/config/config-reader.js";
import { StartupError } from "#core/config/startup-error.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { readControllerConfig } from "./controller-config.js";

const BUDGET =
  '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":10000,"max_recursion_depth":5,"max_parallelism":4}';
const BASE = { PECR_GATEWAY_URL: "http://127.0.0.1:8080", PECR_BUDGET_DEFAULTS: BUDGET };

const read = (env: ConfigSource) => readControllerConfig(createConfigReader(env));

function startupCode(t: import("ava").ExecutionContext, env: ConfigSource): string {
  const error = t.throws(() => read(env), { instanceOf: StartupError });
  return error?.code ?? "";
}

test("defaults follow the reference: loopback bind, extractive planner, 60 runs per 60 s", (t) => {
  const config = read(BASE);
  t.deepEqual(config.bind, { host: "127.0.0.1", port: 8081 });
  t.is(config.gatewayUrl.href, "http://127.0.0.1:8080/");
  t.is(config.planner, "extractive");
  t.is(config.logLevel, "info");
  t.is(config.baselinePlan, undefined);
  t.is(config.rateLimitWindowSecs, 60);
  t.is(config.rateLimitRunPerWindow, 60);
  t.is(config.gatewayCallTimeoutMs, 10_000);
  t.false(config.metricsRequireAuth);
  t.deepEqual(config.corsAllowedOrigins, []);
  t.is(config.auth.mode, "local");
  t.is(config.serverTls, undefined);
  t.is(config.gatewayTls, undefined);
  t.is(config.budgetDefaults.maxOperatorCalls, 10);
  t.is(config.budgetDefaults.maxBytes, 1048576n);
  t.is(config.budgetDefaults.maxParallelism, 4);
});

test("PECR_LOG_LEVEL sets the level, and a level pino does not have stops the start", (t) => {
  t.is(read({ ...BASE, PECR_LOG_LEVEL: "warn" }).logLevel, "warn");
  t.is(read({ ...BASE, PECR_LOG_LEVEL: "silent" }).logLevel, "silent");
  t.is(startupCode(t, { ...BASE, PECR_LOG_LEVEL: "verbose" }), "ERR_INVALID_CONFIG");
});

test("the gateway URL and the default budget are required", (t) => {
  t.is(startupCode(t, { PECR_BUDGET_DEFAULTS: BUDGET }), "ERR_MISSING_CONFIG");
  t.is(startupCode(t, { PECR_GATEWAY_URL: "http://127.0.0.1:8080" }), "ERR_MISSING_CONFIG");
});

test("a gateway URL that is not http(s) is refused", (t) => {
  t.is(startupCode(t, { ...BASE, PECR_GATEWAY_URL: "ftp://gateway" }), "ERR_INVALID_CONFIG");
  t.is(startupCode(t, { ...BASE, PECR_GATEWAY_URL: "not a url" }), "ERR_INVALID_CONFIG");
});

test("budget JSON with unknown keys or wrong types is ERR_INVALID_BUDGET_JSON", (t) => {
  t.is(startupCode(t, { ...BASE, PECR_BUDGET_DEFAULTS: '{"max_operator_calls":1,"surprise":1}' }), "ERR_INVALID_BUDGET_JSON");
  t.is(startupCode(t, { ...BASE, PECR_BUDGET_DEFAULTS: '{"max_operator_calls":"many"}' }), "ERR_INVALID_BUDGET_JSON");
  t.is(startupCode(t, { ...BASE, PECR_BUDGET_DEFAULTS: "[1,2]" }), "ERR_INVALID_BUDGET_JSON");
  t.is(startupCode(t, { ...BASE, PECR_BUDGET_DEFAULTS: "null" }), "ERR_INVALID_BUDGET_JSON");
  t.is(startupCode(t, { ...BASE, PECR_BUDGET_DEFAULTS: "{" }), "ERR_INVALID_BUDGET_JSON");
});

test("budget values outside the proto's rules are ERR_INVALID_BUDGET naming the field", (t) => {
  const cases = [
    ['{"max_operator_calls":10001}', "max_operator_calls"],
    ['{"max_bytes":67108865}', "max_bytes"],
    ['{"max_wallclock_ms":300001}', "max_wallclock_ms"],
    ['{"max_recursion_depth":21}', "max_recursion_depth"],
    ['{"max_parallelism":0}', "max_parallelism"],
    ['{"max_parallelism":257}', "max_parallelism"],
  ] as const;
  for (const [json, field] of cases) {
    const error = t.throws(() => read({ ...BASE, PECR_BUDGET_DEFAULTS: json }), { instanceOf: StartupError });
    t.is(error?.code, "ERR_INVALID_BUDGET", json);
    t.true(error?.message.includes(field), error?.message);
  }
});

test("boundary budget values and all-zero budgets are accepted (zero means zero)", (t) => {
  const zero = read({ ...BASE, PECR_BUDGET_DEFAULTS: "{}" }).budgetDefaults;
  t.is(zero.maxOperatorCalls, 0);
  t.is(zero.maxParallelism, undefined);
  const top = read({
    ...BASE,
    PECR_BUDGET_DEFAULTS:
      '{"max_operator_calls":10000,"max_bytes":67108864,"max_wallclock_ms":300000,"max_recursion_depth":20,"max_parallelism":256}',
  }).budgetDefaults;
  t.is(top.maxParallelism, 256);
});

test("the planner is extractive or mock", (t) => {
  t.is(read({ ...BASE, PECR_CONTROLLER_PLANNER: "mock" }).planner, "mock");
  t.is(startupCode(t, { ...BASE, PECR_CONTROLLER_PLANNER: "oracle" }), "ERR_INVALID_CONFIG");
});

test("a baseline plan is parsed strictly into allowlisted operator steps", (t) => {
  const plan = read({
    ...BASE,
    PECR_BASELINE_PLAN:
      '[{"kind":"operator","op_name":"search","params":{"query":"$query","limit":3}},{"kind":"search_ref_fetch_span","max_refs":1},{"kind":"search_ref_fetch_span"}]',
  }).baselinePlan;
  t.is(plan?.length, 3);
  t.like(plan?.[0], { kind: "operator", operator: { name: "search" } });
  t.deepEqual(plan?.[1], { kind: "search_ref_fetch_span", maxRefs: 1 });
  t.deepEqual(plan?.[2], { kind: "search_ref_fetch_span", maxRefs: 2 });
});

test("bad baseline plans stop startup", (t) => {
  const bad = [
    "[]",
    "{}",
    "not json",
    '[{"kind":"operator","op_name":"drop_table"}]',
    '[{"kind":"operator","op_name":"search","params":{"query":"x","bogus":1}}]',
    '[{"kind":"operator","op_name":"search","params":{"query":"x"},"extra":true}]',
    '[{"kind":"operator","op_name":"search","params":{"limit":"$query"}}]',
    '[{"kind":"search_ref_fetch_span","max_refs":0}]',
    '[{"kind":"think"}]',
  ];
  for (const plan of bad) t.is(startupCode(t, { ...BASE, PECR_BASELINE_PLAN: plan }), "ERR_INVALID_CONFIG", plan);
});

test("a non-loopback bind in local mode is refused", (t) => {
  t.is(startupCode(t, { ...BASE, PECR_CONTROLLER_BIND_ADDR: "10.0.0.5:8081" }), "ERR_NONLOCAL_BIND_REQUIRES_AUTH");
});

test("metrics require auth by default on a non-loopback bind, and as configured otherwise", (t) => {
  const open = read({
    ...BASE,
    PECR_CONTROLLER_BIND_ADDR: "0.0.0.0:8081",
    PECR_DEV_ALLOW_NONLOCAL_BIND: "1",
    PECR_LOCAL_AUTH_SHARED_SECRET: "s3cret",
  });
  t.true(open.metricsRequireAuth);
  t.true(read({ ...BASE, PECR_METRICS_REQUIRE_AUTH: "true" }).metricsRequireAuth);
  t.is(startupCode(t, { ...BASE, PECR_METRICS_REQUIRE_AUTH: "maybe" }), "ERR_INVALID_CONFIG");
});

test("CORS origins and rate limits are read; 0 turns the run limit off", (t) => {
  const config = read({
    ...BASE,
    PECR_CORS_ALLOWED_ORIGINS: "https://a.example, https://b.example",
    PECR_RATE_LIMIT_RUN_PER_WINDOW: "0",
    PECR_RATE_LIMIT_WINDOW_SECS: "5",
  });
  t.deepEqual(config.corsAllowedOrigins, ["https://a.example", "https://b.example"]);
  t.is(config.rateLimitRunPerWindow, 0);
  t.is(config.rateLimitWindowSecs, 5);
});

test("the configuration holds no database URL, corpus path or policy", (t) => {
  const config = read({
    ...BASE,
    PECR_DB_URL: "postgres://x",
    PECR_FS_CORPUS_PATH: "fixtures/fs_corpus",
    PECR_OPA_URL: "http://opa",
  });
  const text = JSON.stringify(config, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  t.false(text.includes("postgres://x"));
  t.false(text.includes("fs_corpus"));
  t.false(text.includes("http://opa"));
});
