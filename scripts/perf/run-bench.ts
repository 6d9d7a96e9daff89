/**
 * Controller benchmark: ControllerService.Run at 10 concurrent callers, with the `mock` planner (the original's
 * fixed four-step plan) and the `extractive` planner, against gateway + controller running in their own
 * process (`pecr serve`) on real Postgres (`PECR_BENCH_DB_URL`, a fresh schema) or embedded PGlite. Counts a
 * run whose terminal mode is not the expected one as an error.
 *
 *   PECR_BENCH_DB_URL=postgres://postgres@127.0.0.1:5432/test npx tsx scripts/perf/run-bench.ts
 *
 * Knobs: BENCH_USERS (10), BENCH_DURATION_MS (10000), BENCH_WARMUP_MS (2000).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import postgres from "postgres";
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { createClientPool } from "./suite7/load-clients.js";
import { startChildService } from "./support/child-service.js";
import { runClosedLoop } from "./support/closed-loop.js";
import { printTable, summarise, type LatencySummary } from "./support/latency-stats.js";
import { scrapeCounters } from "./support/metric-counter.js";
import { readMachineBusySeconds } from "./support/proc-stats.js";

const users = Number(process.env.BENCH_USERS ?? 10);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const dbUrl = process.env.PECR_BENCH_DB_URL;

const scenarios = [
  { planner: "mock", query: "smoke", expect: TerminalMode.INSUFFICIENT_EVIDENCE },
  { planner: "extractive", query: "What are the support hours?", expect: TerminalMode.SUPPORTED },
] as const;

const rows: LatencySummary[] = [];
const memory: string[] = [];
const cpu: string[] = [];
const machineCpu: string[] = [];
const perRun: string[] = [];

/** What a run costs the gateway at `gatewayUrl`: RPCs it served (all methods) and ledger events appended, so far. */
async function gatewayWork(gatewayUrl: string, auditor: Client<typeof GatewayService>): Promise<{ rpcs: number; events: bigint }> {
  const { verification } = await auditor.verifyLedger({});
  // Scraped after the auditor's own call, so both readings count one of them and the difference counts none.
  const rpcs = (await scrapeCounters(gatewayUrl, "pecr_rpc_server_handled_total", { service: GatewayService.typeName })).get("") ?? 0;
  return { rpcs, events: verification?.headSeq ?? 0n };
}
for (const scenario of scenarios) {
  const dataDir = mkdtempSync(join(tmpdir(), "pecr-run-bench-"));
  const schema = `pecr_bench_${process.pid}_${scenario.planner}`;
  const admin = dbUrl === undefined ? undefined : postgres(dbUrl, { onnotice: () => undefined });
  if (admin !== undefined) await admin.unsafe(`CREATE SCHEMA ${schema}`);
  const stack = await startChildService(
    "serve",
    {
      PECR_BIND_ADDR: "127.0.0.1:0",
      PECR_CONTROLLER_BIND_ADDR: "127.0.0.1:0",
      PECR_DATA_DIR: dataDir,
      PECR_CONTROLLER_PLANNER: scenario.planner,
      PECR_RATE_LIMIT_SESSIONS_PER_WINDOW: "0",
      PECR_RATE_LIMIT_OPERATORS_PER_WINDOW: "0",
      PECR_RATE_LIMIT_FINALIZE_PER_WINDOW: "0",
      PECR_RATE_LIMIT_RUN_PER_WINDOW: "0",
      PECR_LEDGER_CHECKPOINT_EVERY_EVENTS: "0",
      ...(dbUrl === undefined ? {} : { PECR_DB_URL: dbUrl, PECR_DB_SCHEMA: schema, PECR_LOAD_FIXTURES: "1" }),
    },
    /controller listening on (\S+)/,
  );
  try {
    const client = createClientPool(ControllerService, stack.url, 1, "dev").forUser(0);
    const gatewayUrl = stack.stdoutLines().map((line) => /gateway listening on (\S+)/.exec(line)?.[1]).find((url) => url !== undefined)!;
    const auditor = createClientPool(GatewayService, gatewayUrl, 1, "auditor").forUser(0);
    const workBefore = await gatewayWork(gatewayUrl, auditor);
    let completed = 0;
    const cpuBefore = await stack.cpuSeconds();
    const machineBefore = await readMachineBusySeconds();
    const result = await runClosedLoop({ users, durationMs, warmupMs }, async () => {
      const response = await client.run({ query: scenario.query });
      completed++;
      return response.terminalMode === scenario.expect;
    });
    const cpuAfter = await stack.cpuSeconds();
    const machineAfter = await readMachineBusySeconds();
    if (cpuBefore !== undefined && cpuAfter !== undefined) {
      cpu.push(`${scenario.planner}: ${(((cpuAfter - cpuBefore) * 1000) / Math.max(1, completed)).toFixed(1)} ms`);
    }
    if (machineBefore !== undefined && machineAfter !== undefined) {
      // Everything a run cost on this machine: the services, Postgres and the load generator.
      machineCpu.push(`${scenario.planner}: ${(((machineAfter - machineBefore) * 1000) / Math.max(1, completed)).toFixed(1)} ms`);
    }
    rows.push(summarise(`Run (${scenario.planner})`, result.latencies, result.errors, result.elapsedMs));
    // Every run of the window and its warm-up is counted, as are the RPCs and events they caused.
    const workAfter = await gatewayWork(gatewayUrl, auditor);
    const runs = Math.max(1, completed);
    perRun.push(
      `${scenario.planner}: ${((workAfter.rpcs - workBefore.rpcs) / runs).toFixed(1)} gateway RPCs, ${(Number(workAfter.events - workBefore.events) / runs).toFixed(1)} ledger events`,
    );
    const rss = await stack.rssBytes();
    if (rss !== undefined) memory.push(`${scenario.planner}: ${(rss / 1024 / 1024).toFixed(0)} MiB`);
  } finally {
    await stack.stop();
    if (admin !== undefined) {
      await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
console.log(`controller benchmark: ${users} callers, ${durationMs} ms per planner, ledger ${dbUrl === undefined ? "PGlite (embedded)" : "Postgres"}`);
printTable(rows);
console.log(`gateway+controller process CPU per run: ${cpu.join(", ")}`);
console.log(`machine CPU per run (all processes): ${machineCpu.join(", ")}`);
console.log(`gateway+controller process RSS after each run: ${memory.join(", ")}`);
console.log(`work per run: ${perRun.join(", ")}`);
