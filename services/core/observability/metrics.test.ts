import test from "ava";
import { register as globalRegistry } from "prom-client";
import { DURATION_BUCKETS_SECONDS, createAppMetrics } from "./metrics.js";

test("each app has its own registry, never the global one", async (t) => {
  const a = createAppMetrics();
  const b = createAppMetrics();
  a.rpcHandled.inc({ service: "s", method: "m", code: "ok" });
  t.not(a.registry, b.registry);
  t.not(a.registry, globalRegistry);
  t.regex(await a.render(), /pecr_rpc_server_handled_total\{service="s",method="m",code="ok"\} 1/);
  t.notRegex(await b.render(), /pecr_rpc_server_handled_total\{/);
  t.is(globalRegistry.getSingleMetric("pecr_rpc_server_handled_total"), undefined);
});

test("the RPC histogram uses the reference buckets from 5 ms to 10 s", async (t) => {
  const metrics = createAppMetrics();
  metrics.rpcHandlingSeconds.observe({ service: "s", method: "m", code: "ok" }, 0.2);
  const text = await metrics.render();
  const bounds = [...text.matchAll(/pecr_rpc_server_handling_seconds_bucket\{le="([^"]+)"/g)].map((m) => m[1]);
  t.deepEqual(bounds, [...DURATION_BUCKETS_SECONDS.map(String), "+Inf"]);
  t.deepEqual(DURATION_BUCKETS_SECONDS, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
});

test("service metrics added through the hook land in the same registry; unlabelled counters export 0", async (t) => {
  const metrics = createAppMetrics();
  metrics.counter({ name: "pecr_gateway_budget_violations_total", help: "x" });
  const gauge = metrics.gauge({ name: "pecr_test_gauge", help: "x", labelNames: ["kind"] });
  gauge.set({ kind: "a" }, 2);
  const histogram = metrics.histogram({ name: "pecr_test_seconds", help: "x" });
  histogram.observe(0.003);
  const text = await metrics.render();
  t.regex(text, /^pecr_gateway_budget_violations_total 0$/m);
  t.regex(text, /^pecr_test_gauge\{kind="a"\} 2$/m);
  t.regex(text, /^pecr_test_seconds_bucket\{le="0\.005"\} 1$/m);
});
