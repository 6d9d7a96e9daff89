/**
 * Benchmark of the `opa` policy engine: decisions per second and p50/p99 latency through the OPA client against
 * the OPA-compatible server (`pecr opa-serve`, the embedded engine behind OPA's Data API, in its own process
 * as an OPA server would be) over HTTP/1.1 keep-alive on loopback, sequentially and with 10 concurrent callers;
 * then the embedded engine in-process on the same inputs, and the ratios.
 *
 *   npx tsx scripts/perf/policy-bench-opa.ts [--decisions 10000] [--bundle opa/bundle]
 *
 * The decision cache is off so every decision is a real round trip. Figures are from one run on this machine.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { createEmbeddedEngine } from "../../services/gateway/policy/embedded-engine.js";
import { createOpaHttpEngine } from "../../services/gateway/policy/opa-http/opa-http-engine.js";
import type { PolicyEngine, PolicyInput } from "../../services/gateway/policy/policy-engine.js";

const CONCURRENCY = 10;

interface Figures {
  readonly engine: string;
  readonly mode: string;
  readonly decisions: number;
  readonly perSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

function input(overrides: Partial<PolicyInput>): PolicyInput {
  return {
    action: "operator_call",
    principal_id: "dev",
    tenant_id: "default",
    roles: [],
    attributes: {},
    principal_kind: "human",
    policy_snapshot_hash: "a".repeat(64),
    policy_bundle_hash: "b".repeat(64),
    as_of_time: "1970-01-01T00:00:00Z",
    request_id: "bench",
    trace_id: "01J00000000000000000000000",
    session_id: "session",
    policy_snapshot_id: "snapshot",
    budget_hash: null,
    op_name: "search",
    params_hash: "c".repeat(64),
    params_bytes: 32,
    object_id: null,
    view_id: null,
    fields_hash: null,
    filter_fingerprint: null,
    ...overrides,
  };
}

/** A mix of allowed, redacted and denied decisions across the policy's principals. */
const INPUTS: readonly PolicyInput[] = [
  input({}),
  input({ principal_id: "support", op_name: "fetch_span", object_id: "public/readme.txt" }),
  input({ principal_id: "support", op_name: "fetch_rows", view_id: "safe_customer_view_support" }),
  input({ principal_id: "support", op_name: "redact" }),
  input({ principal_id: "guest", op_name: "search" }),
  input({ action: "create_session", session_id: null, policy_snapshot_id: null, op_name: null, budget_hash: "d".repeat(64) }),
];

function percentile(sortedNs: readonly bigint[], p: number): number {
  const index = Math.min(sortedNs.length - 1, Math.max(0, Math.ceil(p * sortedNs.length) - 1));
  return Number(sortedNs[index] ?? 0n) / 1000;
}

/** Runs `total` decisions split over `callers` sequential loops; returns throughput and latency figures. */
async function measure(engine: PolicyEngine, name: string, mode: string, total: number, callers: number): Promise<Figures> {
  const latencies: bigint[] = [];
  const perCaller = Math.ceil(total / callers);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; i < perCaller; i += 1) {
        const decisionInput = INPUTS[(caller + i) % INPUTS.length] as PolicyInput;
        const t0 = process.hrtime.bigint();
        await engine.decide(decisionInput);
        latencies.push(process.hrtime.bigint() - t0);
      }
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    engine: name,
    mode,
    decisions: latencies.length,
    perSecond: latencies.length / elapsedS,
    p50Us: percentile(latencies, 0.5),
    p99Us: percentile(latencies, 0.99),
  };
}

async function bench(engine: PolicyEngine, name: string, total: number): Promise<Figures[]> {
  await measure(engine, name, "warm-up", Math.min(total, 2000), 1);
  return [
    await measure(engine, name, "sequential", total, 1),
    await measure(engine, name, `${CONCURRENCY} callers`, total, CONCURRENCY),
  ];
}

function printTable(rows: readonly Figures[]): void {
  const header = ["engine", "mode", "decisions", "decisions/s", "p50 µs", "p99 µs"];
  const body = rows.map((r) => [
    r.engine,
    r.mode,
    String(r.decisions),
    r.perSecond.toFixed(0),
    r.p50Us.toFixed(1),
    r.p99Us.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  for (const row of [header, ...body]) console.log(row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join("  "));
}

/** Starts `pecr opa-serve` on a free port and resolves with the process and the URL it prints. */
async function startOpaServe(bundle: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ["--import=tsx", "scripts/pecr.ts", "opa-serve", "--addr", "127.0.0.1:0", "--bundle", bundle],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = / at (http:\/\/\S+)\n/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`opa-serve exited with ${code}: ${output}`)));
  });
  return { child, url };
}

const { values } = parseArgs({
  options: { decisions: { type: "string", default: "10000" }, bundle: { type: "string", default: "opa/bundle" } },
});
const total = Number(values.decisions);
if (!Number.isInteger(total) || total < CONCURRENCY) throw new RangeError("--decisions must be an integer >= 10");

const embedded = await createEmbeddedEngine({ bundleDir: values.bundle });
const server = await startOpaServe(values.bundle);
// Retries and breaker are production defaults; a generous timeout keeps a GC pause from failing a run.
const opa = createOpaHttpEngine({ url: server.url, bundleHash: embedded.bundleHash, timeoutMs: 5000 });
try {
  const opaRows = await bench(opa, "opa-http", total);
  const embeddedRows = await bench(embedded, "embedded", total);
  printTable([...opaRows, ...embeddedRows]);
  const stats = opa.stats();
  console.log(`opa client: ${stats.attempts} attempts, ${stats.retries} retries, ${stats.failures} failures`);
  for (const [index, row] of opaRows.entries()) {
    const local = embeddedRows[index];
    if (local === undefined) continue;
    console.log(
      `${row.mode}: embedded is ${(local.perSecond / row.perSecond).toFixed(1)}x the opa-http throughput, ` +
        `opa-http p50 is ${(row.p50Us / local.p50Us).toFixed(1)}x the embedded p50`,
    );
  }
} finally {
  await opa.close();
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  await exited;
  await embedded.close();
}
