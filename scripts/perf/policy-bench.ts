/**
 * Benchmark of the embedded policy engine: decisions per second and p50/p99 latency per decision for the PECR
 * policy, over a realistic mix of inputs (sessions, operator calls of every principal, allowed, redacted and
 * denied, audits), measured per scenario and for the whole mix. Each decision is timed individually.
 *
 *   npx tsx scripts/perf/policy-bench.ts [--decisions 50000] [--bundle opa/bundle]
 *
 * Figures come from one run on this machine; compare them with the target (embedded p99 under 50 µs).
 */
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createEmbeddedEngine } from "../../services/gateway/policy/embedded-engine.js";
import type { PolicyEngine, PolicyInput } from "../../services/gateway/policy/policy-engine.js";
import { samplePolicyInput } from "../../services/gateway/policy/testing/sample-policy-input.js";

function input(overrides: Partial<PolicyInput>): PolicyInput {
  return samplePolicyInput({ attributes: { department: "support", region: "eu" }, request_id: "req-bench", params_bytes: 64, ...overrides });
}

const SCENARIOS: readonly { readonly name: string; readonly input: PolicyInput }[] = [
  { name: "create_session dev", input: input({ action: "create_session", session_id: null, op_name: null, budget_hash: "d".repeat(64) }) },
  { name: "create_session role guest", input: input({ action: "create_session", principal_id: "u-7", roles: ["pecr:guest"], op_name: null }) },
  { name: "search dev", input: input({}) },
  { name: "fetch_span support public", input: input({ principal_id: "support", op_name: "fetch_span", object_id: "public/readme.txt" }) },
  { name: "fetch_span support denied", input: input({ principal_id: "support", op_name: "fetch_span", object_id: "private/payroll.txt" }) },
  { name: "fetch_rows support view", input: input({ principal_id: "support", op_name: "fetch_rows", view_id: "safe_customer_view_support" }) },
  { name: "aggregate analyst (role)", input: input({ principal_id: "u-9", roles: ["pecr:analyst", "pecr:support"], op_name: "aggregate", view_id: "v" }) },
  { name: "redact support denied", input: input({ principal_id: "support", op_name: "redact" }) },
  { name: "search guest denied", input: input({ principal_id: "guest" }) },
  { name: "finalize support", input: input({ action: "finalize", principal_id: "support", op_name: null }) },
  { name: "audit auditor", input: input({ action: "audit", principal_id: "auditor", session_id: null, op_name: null }) },
  { name: "unknown principal denied", input: input({ principal_id: "mallory" }) },
];

interface Row {
  readonly name: string;
  readonly decisions: number;
  readonly perSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function measure(engine: PolicyEngine, name: string, inputs: readonly PolicyInput[], n: number): Promise<Row> {
  const times = new Float64Array(n);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await engine.decide(inputs[i % inputs.length] as PolicyInput);
    times[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const totalS = Number(process.hrtime.bigint() - started) / 1e9;
  times.sort();
  return { name, decisions: n, perSecond: n / totalS, p50Us: percentile(times, 0.5), p99Us: percentile(times, 0.99) };
}

const { values } = parseArgs({
  options: { decisions: { type: "string", default: "50000" }, bundle: { type: "string", default: "opa/bundle" } },
  strict: true,
});
const decisions = Number(values.decisions);
const engine = await createEmbeddedEngine({ bundleDir: values.bundle });

// Warm-up: let the JIT settle before anything is timed.
await measure(engine, "warm-up", SCENARIOS.map((s) => s.input), 20_000);

const rows: Row[] = [];
const perScenario = Math.max(1000, Math.floor(decisions / SCENARIOS.length));
for (const s of SCENARIOS) rows.push(await measure(engine, s.name, [s.input], perScenario));
rows.push(await measure(engine, "mix (all scenarios, round robin)", SCENARIOS.map((s) => s.input), decisions));
await engine.close();

console.log(`embedded engine, bundle ${values.bundle} (${engine.bundleHash.slice(0, 12)}…), node ${process.version}`);
// p99 of microsecond operations is sensitive to CPU contention; the load shows how busy the machine was.
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} on ${availableParallelism()} CPUs`);
console.log(`${"scenario".padEnd(34)} ${"decisions".padStart(9)} ${"decisions/s".padStart(12)} ${"p50 µs".padStart(8)} ${"p99 µs".padStart(8)}`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(34)} ${String(r.decisions).padStart(9)} ${Math.round(r.perSecond).toString().padStart(12)} ${r.p50Us.toFixed(1).padStart(8)} ${r.p99Us.toFixed(1).padStart(8)}`,
  );
}
const mix = rows[rows.length - 1] as Row;
console.log(`target: embedded p99 < 50 µs per decision; mix p99 = ${mix.p99Us.toFixed(1)} µs (${mix.p99Us < 50 ? "met" : "NOT met"})`);
