/**
 * Reading counters from Prometheus text.
 */
import test from "ava";
import { counterValue, counterValues } from "./metric-counter.js";

const TEXT = [
  "# HELP pecr_gateway_operator_calls_total Operator calls by outcome.",
  "# TYPE pecr_gateway_operator_calls_total counter",
  'pecr_gateway_operator_calls_total{operator_name="fetch_span",outcome="success"} 1200',
  'pecr_gateway_operator_calls_total{operator_name="fetch_span",outcome="error"} 3',
  'pecr_gateway_operator_calls_total{operator_name="fetch_rows",outcome="success"} 40',
  'pecr_gateway_operator_calls_total_extra{operator_name="fetch_span",outcome="success"} 99',
  "pecr_gateway_leak_detected_total 0",
].join("\n");

test("a counter is summed over the series with all the given labels, and only its own name", (t) => {
  t.is(counterValue(TEXT, "pecr_gateway_operator_calls_total", { operator_name: "fetch_span", outcome: "success" }), 1200);
  t.is(counterValue(TEXT, "pecr_gateway_operator_calls_total", { operator_name: "fetch_span" }), 1203);
  t.is(counterValue(TEXT, "pecr_gateway_operator_calls_total", { outcome: "success" }), 1240);
  t.is(counterValue(TEXT, "pecr_gateway_operator_calls_total", { outcome: "denied" }), 0);
  t.is(counterValue(TEXT, "pecr_gateway_leak_detected_total"), 0);
  t.is(counterValue(TEXT, "pecr_gateway_missing_total"), 0);
});

test("series can be summed per value of one label", (t) => {
  t.deepEqual(
    [...counterValues(TEXT, "pecr_gateway_operator_calls_total", { operator_name: "fetch_span" }, "outcome")],
    [
      ["success", 1200],
      ["error", 3],
    ],
  );
  t.deepEqual([...counterValues(TEXT, "pecr_gateway_operator_calls_total", {}, "operator_name")], [
    ["fetch_span", 1203],
    ["fetch_rows", 40],
  ]);
});
