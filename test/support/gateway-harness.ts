/**
 * Starts a real gateway for a test: a fresh copy of the fixture corpus, an embedded (PGlite) ledger in a temp
 * directory — or a real Postgres schema when `PECR_TEST_DB_URL` is given to `backend: "postgres"` — and a
 * Connect client over HTTP/2. Everything is torn down with the test file.
 */
import { rmSync } from "node:fs";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { createLogger } from "#core/observability/logger.js";
import postgres from "postgres";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type GatewayApp, startGateway } from "../../services/gateway/gateway-app.js";
import type { PolicyEngine } from "../../services/gateway/policy/policy-engine.js";
import type { Clock } from "../../services/gateway/runtime/gateway-deps.js";
import { createGatewayWorkspace, createTestSchema } from "./gateway-workspace.js";

/** Which ledger backend a harness runs on. */
export type Backend = "pglite" | "postgres";

/** A running gateway with what a test needs to drive and inspect it. */
export interface GatewayHarness {
  /** The app. */
  readonly app: GatewayApp;
  /** Its base URL. */
  readonly url: string;
  /** Copy of the corpus the gateway reads (tests may change files). */
  readonly corpusDir: string;
  /** Every log line written, parsed. */
  readonly logs: string[];
  /** A client acting as `principalId` (local auth). */
  client(principalId: string): Client<typeof GatewayService>;
  /** Runs SQL in the gateway's schema (real Postgres only: fixture updates, tamper tests). */
  sql: postgres.Sql | undefined;
  /** The configuration it was started with (what a second instance joining it reuses). */
  readonly config: Readonly<Record<string, string>>;
  /** Stops the gateway and removes its data. */
  close(): Promise<void>;
}

/** Options of a harness. */
export interface HarnessOptions {
  /** Ledger backend (default pglite). */
  readonly backend?: Backend;
  /** Extra configuration values. */
  readonly env?: Record<string, string>;
  /** A policy engine to use instead of the configured one. */
  readonly policy?: PolicyEngine;
  /** A clock to use instead of the system clock. */
  readonly clock?: Clock;
  /**
   * Start a second instance of this gateway: same ledger schema, corpus and configuration (real Postgres only;
   * an embedded ledger belongs to one process). Closing it leaves the first one's data alone.
   */
  readonly joining?: GatewayHarness;
}

/** Starts a gateway. */
export async function startGatewayHarness(options: HarnessOptions = {}): Promise<GatewayHarness> {
  if (options.joining !== undefined) return startJoiningInstance(options.joining, options);
  const { dir, corpusDir, env } = createGatewayWorkspace("pecr-gateway-");
  // Generous: these suites test behaviour, not latency, and CI machines are shared (the statement-timeout fault
  // itself is exercised by the performance suite).
  env.PECR_PG_SAFEVIEW_QUERY_TIMEOUT_MS = "10000";
  const schema = options.backend === "postgres" ? await createTestSchema("pecr_test") : undefined;
  if (schema !== undefined) Object.assign(env, { PECR_DB_URL: schema.url, PECR_DB_SCHEMA: schema.name, PECR_LOAD_FIXTURES: "1" });
  Object.assign(env, options.env);

  const { app, logs } = await launch(env, options);
  return {
    app,
    url: app.server.url,
    corpusDir,
    logs,
    sql: schema?.sql,
    config: env,
    client: (principalId) => principalClient(app.server.url, principalId),
    async close() {
      await app.close();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A second gateway process-alike on `first`'s schema and corpus. */
async function startJoiningInstance(first: GatewayHarness, options: HarnessOptions): Promise<GatewayHarness> {
  if (first.config.PECR_DB_URL === undefined) throw new Error("a second gateway instance needs a real Postgres ledger");
  const { app, logs } = await launch({ ...first.config, PECR_LOAD_FIXTURES: "0", ...options.env }, options);
  return {
    app,
    url: app.server.url,
    corpusDir: first.corpusDir,
    logs,
    sql: first.sql,
    config: first.config,
    client: (principalId) => principalClient(app.server.url, principalId),
    close: () => app.close(),
  };
}

/** Starts a gateway on configuration `source`, its log lines collected. */
async function launch(source: Record<string, string>, options: HarnessOptions): Promise<{ app: GatewayApp; logs: string[] }> {
  const logs: string[] = [];
  const logger: Logger = createLogger({ service: "pecr-gateway", destination: { write: (line: string) => void logs.push(line) } });
  const app = await startGateway({
    source,
    logger,
    port: 0,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { app, logs };
}

/** A client of the gateway at `url` acting as `principalId` (local auth). */
function principalClient(url: string, principalId: string): Client<typeof GatewayService> {
  const principal: Interceptor = (next) => (request) => {
    request.header.set("x-pecr-principal-id", principalId);
    return next(request);
  };
  return createClient(GatewayService, createGrpcTransport({ baseUrl: url, interceptors: [principal] }));
}
