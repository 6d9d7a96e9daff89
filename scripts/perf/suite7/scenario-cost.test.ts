/**
 * Keeping the median of repeated baseline runs.
 */
import test from "ava";
import { type ScenarioCost, medianOf } from "./scenario-cost.js";
import { failedToRun } from "./scenario-result.js";

test("of repeated runs the one of median throughput is kept, with its own cost, and the others are noted", async (t) => {
  const throughputs = [30, 10, 20];
  const costs: ScenarioCost[] = [];
  let index = 0;
  const load = async () => {
    const throughput = throughputs[index++]!;
    costs.push({ scenario: "gateway_fetch_rows", ledgerEvents: throughput, eventsPerRequest: 3, cpuMsPerRequest: {} });
    return { ...failedToRun({ name: "gateway_fetch_rows", group: "baseline", users: 10, expectedLabel: "SUPPORTED" }, "unused"), checks: [], throughput };
  };
  const kept = await medianOf(3, costs, load);
  t.is(kept.throughput, 20);
  t.deepEqual(costs.map((cost) => cost.ledgerEvents), [20]);
  t.deepEqual(kept.notes, ["median of 3 runs (req/s 30.0, 10.0, 20.0)"]);
});

test("a single run is returned as it is", async (t) => {
  const costs: ScenarioCost[] = [];
  const result = failedToRun({ name: "x", group: "baseline", users: 1, expectedLabel: "-" }, "unused");
  t.is(await medianOf(1, costs, async () => result), result);
});
