/**
 * Gateway benchmark: FetchSpan and FetchRows at 10 concurrent callers over HTTP/2 (gRPC protocol), against a
 * gateway running in its own process on real Postgres (`PECR_BENCH_DB_URL`, a fresh schema per run) or, without
 * it, the embedded PGlite ledger. Prints throughput and p50/p90/p99/max per operator.
 *
 *   PECR_BENCH_DB_URL=postgres://postgres@127.0.0.1:5432/test npx tsx scripts/perf/gateway-bench.ts
 *
 * Knobs: BENCH_USERS (10), BENCH_DURATION_MS (10000), BENCH_WARMUP_MS (2000).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { startChildService } from "./support/child-service.js";
import { runClosedLoop } from "./support/closed-loop.js";
import { printTable, summarise, type LatencySummary } from "./support/latency-stats.js";

const users = Number(process.env.BENCH_USERS ?? 10);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const dbUrl = process.env.PECR_BENCH_DB_URL;

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
async function openSession(): Promise<{ sessionId: string; headers: Record<string, string> }> {
  let token = "";
  const session = await client.createSession({ budget }, { onHeader: (headers) => (token = headers.get("x-pecr-session-token") ?? "") });
  return { sessionId: session.sessionId, headers: { "x-pecr-session-token": token } };
}

async function scenario(name: string, call: (session: { sessionId: string; headers: Record<string, string> }) => Promise<unknown>): Promise<LatencySummary> {
  const sessions = await Promise.all(Array.from({ length: users }, () => openSession()));
  const used = new Array<number>(users).fill(0);
  const cpuBefore = await gateway.cpuSeconds();
  let completed = 0;
  const result = await runClosedLoop({ users, durationMs, warmupMs }, async (user) => {
    completed++;
    if (used[user]! >= 9_990) {
      sessions[user] = await openSession();
      used[user] = 0;
    }
    used[user]!++;
    await call(sessions[user]!);
  });
  const cpuAfter = await gateway.cpuSeconds();
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    // CPU of the service process over every request it served (warm-up included): robust to other load.
    cpuPerRequest.push(`${name}: ${(((cpuAfter - cpuBefore) * 1000) / Math.max(1, completed)).toFixed(2)} ms`);
  }
  return summarise(name, result.latencies, result.errors, result.elapsedMs);
}

const cpuPerRequest: string[] = [];

try {
  const rows: LatencySummary[] = [];
  rows.push(
    await scenario("FetchSpan", (session) =>
      client.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, { headers: session.headers }),
    ),
  );
  rows.push(
    await scenario("FetchRows", (session) =>
      client.fetchRows(
        { sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", fields: ["customer_id", "plan_tier", "status", "tenant_id", "updated_at"], filterSpec: { customer_id: "cust_public_1" } } },
        { headers: session.headers },
      ),
    ),
  );
  console.log(`gateway benchmark: ${users} callers, ${durationMs} ms per scenario, ledger ${dbUrl === undefined ? "PGlite (embedded)" : "Postgres"}`);
  printTable(rows);
  if (cpuPerRequest.length > 0) console.log(`gateway CPU per request: ${cpuPerRequest.join(", ")}`);
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
