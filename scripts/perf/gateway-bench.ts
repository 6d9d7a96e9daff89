/**
 * Gateway benchmark: FetchSpan and FetchRows at 10 concurrent callers over HTTP/2 (gRPC protocol), against a
 * gateway running in its own process on real Postgres (`PECR_BENCH_DB_URL`, a fresh schema per run) or, without
 * it, the embedded PGlite ledger. Prints throughput and p50/p90/p99/max per operator and load generator.
 *
 *   PECR_BENCH_DB_URL=postgres://postgres@127.0.0.1:5432/test npx tsx scripts/perf/gateway-bench.ts
 *
 * Two load generators drive the same 10 closed-loop callers, one session each: the generated Connect client in
 * Node, and h2load (C; one process per caller). On a 2-core machine the Node client's own CPU is taken from the
 * gateway it measures; h2load's is a fraction of it, so its row is the closer figure of what the gateway can
 * serve. h2load sees HTTP statuses only, so the outcome of every call is checked on the gateway's side too: its
 * operator-call counters must show no error and at least as many successes as requests were measured.
 *
 * Knobs: BENCH_USERS (10), BENCH_DURATION_MS (10000), BENCH_WARMUP_MS (2000), BENCH_CLIENTS (`node,h2load`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { join } from "node:path";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { FetchRowsRequestSchema, FetchSpanRequestSchema, GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { grpcFrame, h2loadAvailable } from "./suite7/h2load-runner.js";
import { startChildService } from "./support/child-service.js";
import { runClosedLoop } from "./support/closed-loop.js";
import { runH2loadCallers } from "./support/h2load-callers.js";
import { printTable, summarise, type LatencySummary } from "./support/latency-stats.js";
import { scrapeCounters } from "./support/metric-counter.js";
import { readMachineBusySeconds } from "./support/proc-stats.js";

const users = Number(process.env.BENCH_USERS ?? 10);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const dbUrl = process.env.PECR_BENCH_DB_URL;
const loadGenerators = new Set((process.env.BENCH_CLIENTS ?? "node,h2load").split(",").map((name) => name.trim()));
const withH2load = loadGenerators.has("h2load") && (await h2loadAvailable());

const dataDir = mkdtempSync(join(tmpdir(), "pecr-gateway-bench-"));
const schema = `pecr_bench_${process.pid}`;
const admin = dbUrl === undefined ? undefined : postgres(dbUrl, { onnotice: () => undefined });
if (admin !== undefined) await admin.unsafe(`CREATE SCHEMA ${schema}`);

const env: Record<string, string> = {
  PECR_BIND_ADDR: "127.0.0.1:0",
  PECR_DATA_DIR: dataDir,
  PECR_RATE_LIMIT_SESSIONS_PER_WINDOW: "0",
  PECR_RATE_LIMIT_OPERATORS_PER_WINDOW: "0",
  PECR_RATE_LIMIT_FINALIZE_PER_WINDOW: "0",
  PECR_LEDGER_CHECKPOINT_EVERY_EVENTS: "0",
  ...(dbUrl === undefined ? {} : { PECR_DB_URL: dbUrl, PECR_DB_SCHEMA: schema, PECR_LOAD_FIXTURES: "1" }),
};
const gateway = await startChildService("gateway", env);

const principal: Interceptor = (next) => (request) => {
  request.header.set("x-pecr-principal-id", "dev");
  return next(request);
};
const client: Client<typeof GatewayService> = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.url, interceptors: [principal] }));
const budget = { maxOperatorCalls: 10000, maxBytes: 64n * 1024n * 1024n, maxWallclockMs: 300000n, maxRecursionDepth: 20 };

/** One session per virtual user (calls on a session are serialised by design), renewed when its budget runs out. */
async function openSession(): Promise<CallerSession> {
  let token = "";
  const session = await client.createSession({ budget }, { onHeader: (headers) => (token = headers.get("x-pecr-session-token") ?? "") });
  return { sessionId: session.sessionId, headers: { "x-pecr-session-token": token } };
}

/** A session as a caller uses it. */
interface CallerSession {
  readonly sessionId: string;
  readonly headers: Record<string, string>;
}

/** An operator under test: its RPC, and how to call it from Node or as a prepared request. */
interface OperatorUnderTest<Desc extends DescMessage> {
  /** The RPC's method name, also the row's label. */
  readonly method: string;
  readonly schema: Desc;
  readonly request: (sessionId: string) => MessageInitShape<Desc>;
  readonly call: (session: CallerSession) => Promise<unknown>;
}

const HANDLED = "pecr_rpc_server_handled_total";

/** The gateway's count of `method` calls handled, by final code (`ok`, `canceled`, ...). */
async function handled(method: string): Promise<Map<string, number>> {
  return scrapeCounters(gateway.url, HANDLED, { service: GatewayService.typeName, method }, "code");
}

/** What a load generator measured. */
interface LoadRun {
  readonly latencies: number[];
  readonly errors: number;
  readonly elapsedMs: number;
  /** Calls the load generator itself cut off at the end of its window (logged). */
  readonly cut?: number;
  /**
   * How many calls the load generator may reset when its time is up (h2load: the one in flight per caller). The
   * gateway ends those as canceled or, when the reset reaches a policy decision, as deadline_exceeded.
   */
  readonly resetAtEnd?: number;
}

/**
 * Runs `measure` with CPU and the gateway's own count of outcomes recorded around it. The row's errors are the
 * largest of: the client's count; the gateway's failures (warm-up included) beyond the calls the load generator
 * may have reset at the end; and the measured successes the gateway did not count as ok (calls h2load saw as HTTP
 * 200 that did not succeed in gRPC). Every outcome other than ok is printed under the table.
 */
async function measured(label: string, method: string, measure: () => Promise<LoadRun>): Promise<LatencySummary> {
  const cpuBefore = await gateway.cpuSeconds();
  const machineBefore = await readMachineBusySeconds();
  const before = await handled(method);
  const result = await measure();
  // Calls the load generator abandoned at the end finish on the gateway shortly after: let them be counted here.
  await delay(250);
  const after = await handled(method);
  const cpuAfter = await gateway.cpuSeconds();
  const machineAfter = await readMachineBusySeconds();
  const delta = new Map([...after].map(([code, count]) => [code, count - (before.get(code) ?? 0)] as const).filter(([, count]) => count > 0));
  const all = [...delta.values()].reduce((sum, count) => sum + count, 0);
  const ok = delta.get("ok") ?? 0;
  const serverErrors = Math.max(0, all - ok - (result.resetAtEnd ?? 0));
  const unconfirmed = Math.max(0, result.latencies.length - ok);
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    // CPU of the service process over every call it handled (warm-up included): robust to other load.
    cpuPerRequest.push(`${label}: ${(((cpuAfter - cpuBefore) * 1000) / Math.max(1, all)).toFixed(2)} ms`);
  }
  if (machineBefore !== undefined && machineAfter !== undefined) {
    // Everything the call cost on this machine: gateway, Postgres, the load generator (and anything else running).
    machinePerRequest.push(`${label}: ${(((machineAfter - machineBefore) * 1000) / Math.max(1, all)).toFixed(2)} ms`);
  }
  if (all > ok) {
    const resets = result.resetAtEnd === undefined ? "" : `; up to ${result.resetAtEnd} are the calls the load generator resets when its time is up (${result.cut ?? 0} logged)`;
    notes.push(`${label}: the gateway ended ${JSON.stringify(Object.fromEntries(delta))} (warm-up included${resets})`);
  }
  return summarise(label, result.latencies, Math.max(result.errors, serverErrors, unconfirmed), result.elapsedMs);
}

/** The operator driven by Node clients, one session per caller, renewed before its budget runs out. */
async function withNodeClients<Desc extends DescMessage>(operator: OperatorUnderTest<Desc>): Promise<LatencySummary> {
  const sessions = await Promise.all(Array.from({ length: users }, () => openSession()));
  const used = new Array<number>(users).fill(0);
  return measured(`${operator.method} (Node clients)`, operator.method, () =>
    runClosedLoop({ users, durationMs, warmupMs }, async (user) => {
      if (used[user]! >= 9_990) {
        sessions[user] = await openSession();
        used[user] = 0;
      }
      used[user]!++;
      await operator.call(sessions[user]!);
    }),
  );
}

/** The operator driven by h2load, one process and session per caller. */
async function withH2loadCallers<Desc extends DescMessage>(operator: OperatorUnderTest<Desc>): Promise<LatencySummary> {
  const sessions = await Promise.all(Array.from({ length: users }, () => openSession()));
  const callers = sessions.map((session) => ({
    body: grpcFrame(operator.schema, create(operator.schema, operator.request(session.sessionId))),
    headers: { "x-pecr-principal-id": "dev", ...session.headers },
  }));
  const workDir = mkdtempSync(join(tmpdir(), "pecr-gateway-bench-h2load-"));
  try {
    return await measured(`${operator.method} (h2load)`, operator.method, async () => {
      const result = await runH2loadCallers({ url: `${gateway.url}/${GatewayService.typeName}/${operator.method}`, callers, durationMs, warmupMs, workDir });
      return { latencies: result.latencies, errors: result.failed, elapsedMs: result.elapsedMs, cut: result.cut, resetAtEnd: callers.length };
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const cpuPerRequest: string[] = [];
const machinePerRequest: string[] = [];
const notes: string[] = [];

const fetchSpan: OperatorUnderTest<typeof FetchSpanRequestSchema> = {
  method: "FetchSpan",
  schema: FetchSpanRequestSchema,
  request: (sessionId) => ({ sessionId, params: { objectId: "public/public_1.txt" } }),
  call: (session) => client.fetchSpan(fetchSpan.request(session.sessionId), { headers: session.headers }),
};
const fetchRows: OperatorUnderTest<typeof FetchRowsRequestSchema> = {
  method: "FetchRows",
  schema: FetchRowsRequestSchema,
  request: (sessionId) => ({
    sessionId,
    params: { viewId: "safe_customer_view_public", fields: ["customer_id", "plan_tier", "status", "tenant_id", "updated_at"], filterSpec: { customer_id: "cust_public_1" } },
  }),
  call: (session) => client.fetchRows(fetchRows.request(session.sessionId), { headers: session.headers }),
};

try {
  const rows: LatencySummary[] = [];
  for (const operator of [fetchSpan, fetchRows] as OperatorUnderTest<DescMessage>[]) {
    if (loadGenerators.has("node")) rows.push(await withNodeClients(operator));
    if (withH2load) rows.push(await withH2loadCallers(operator));
  }
  console.log(`gateway benchmark: ${users} callers, ${durationMs} ms per scenario, ledger ${dbUrl === undefined ? "PGlite (embedded)" : "Postgres"}`);
  printTable(rows);
  if (loadGenerators.has("h2load") && !withH2load) console.log("h2load rows skipped: h2load is not installed (Debian package nghttp2-client)");
  if (cpuPerRequest.length > 0) console.log(`gateway CPU per call: ${cpuPerRequest.join(", ")}`);
  if (machinePerRequest.length > 0) console.log(`machine CPU per call (all processes): ${machinePerRequest.join(", ")}`);
  for (const note of notes) console.log(note);
  const rss = await gateway.rssBytes();
  if (rss !== undefined) console.log(`gateway RSS after the run: ${(rss / 1024 / 1024).toFixed(0)} MiB`);
} finally {
  await gateway.stop();
  if (admin !== undefined) {
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
  rmSync(dataDir, { recursive: true, force: true });
}
