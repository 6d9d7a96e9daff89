/**
 * The whole stack for end-to-end tests: a real gateway (embedded PGlite ledger in a temp directory, or a fresh
 * schema of the real Postgres named by `PECR_TEST_DB_URL`) and real controllers pointed at it, each on 127.0.0.1
 * port 0, with every log line captured through the real loggers. The gateway can be restarted on the same data
 * (data directory or schema kept), and its Postgres connection can run through a TCP fault proxy that a test
 * cuts and restores. Everything is removed by `close()`.
 */
import { rmSync } from "node:fs";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { createConfigReader } from "#core/config/config-reader.js";
import { createLogger } from "#core/observability/logger.js";
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type RunningController, startController } from "../../services/controller/app/controller-app.js";
import { readControllerConfig } from "../../services/controller/config/controller-config.js";
import { type GatewayApp, startGateway } from "../../services/gateway/gateway-app.js";
import type { PolicyEngine } from "../../services/gateway/policy/policy-engine.js";
import type { Backend } from "./gateway-harness.js";
import { createGatewayWorkspace, createTestSchema } from "./gateway-workspace.js";
import { type TcpFaultProxy, startTcpFaultProxy } from "./tcp-fault-proxy.js";

/**
 * The budget the controllers default to: the original's compose default, with a wallclock of 60 s instead of 10 s.
 * End-to-end files run beside each other on two CPUs, where a run's calls can queue for seconds on the embedded
 * (single-connection) ledger: latency is the benchmarks' subject, not these tests'.
 */
export const STACK_BUDGET_JSON =
  '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":60000,"max_recursion_depth":5,"max_parallelism":4}';

/** Gateway bounds raised for the same reason (a test that needs the defaults sets them in `gatewayEnv`). */
export const STACK_GATEWAY_TIMEOUTS = { PECR_LEDGER_WRITE_TIMEOUT_MS: "10000", PECR_PG_SAFEVIEW_QUERY_TIMEOUT_MS: "5000" } as const;

/** Who calls: a local-mode principal id, or the exact credential headers to send (e.g. a bearer token). */
export type Caller = string | Readonly<Record<string, string>>;

/** Options of `startStack`. */
export interface StackOptions {
  /** Ledger backend (default pglite). */
  readonly backend?: Backend;
  /** Extra gateway configuration. */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  /** Extra configuration of the default controller (and of those started with `startController`). */
  readonly controllerEnv?: Readonly<Record<string, string>>;
  /** A policy engine object instead of the configured one. */
  readonly policy?: PolicyEngine;
  /** Route the gateway's Postgres connections through a TCP fault proxy (postgres backend only). */
  readonly dbFaultProxy?: boolean;
}

/** A controller of the stack. */
export interface StackController {
  /** Its base URL. */
  readonly url: string;
  /** Every log line it wrote (JSON text). */
  readonly logs: string[];
  /** The running controller. */
  readonly running: RunningController;
  /** A Connect (HTTP/2) client acting as `caller`. */
  client(caller: Caller): Client<typeof ControllerService>;
}

/** A running stack. */
export interface Stack {
  /** The ledger backend. */
  readonly backend: Backend;
  /** The gateway app (a new one after each restart). */
  readonly gatewayApp: GatewayApp;
  /** The gateway's base URL (changes on restart). */
  readonly gatewayUrl: string;
  /** Every gateway log line (JSON text), across restarts. */
  readonly gatewayLogs: string[];
  /** The gateway's corpus (tests may change files). */
  readonly corpusDir: string;
  /** SQL on the gateway's schema, bypassing any fault proxy (postgres backend only). */
  readonly sql: postgres.Sql | undefined;
  /** The fault proxy between the gateway and Postgres, when requested. */
  readonly dbProxy: TcpFaultProxy | undefined;
  /** The default controller (a new one after each gateway restart). */
  readonly controller: StackController;
  /** A gRPC client of the gateway acting as `caller`. */
  gateway(caller: Caller): Client<typeof GatewayService>;
  /** Starts one more controller on this gateway with `env` over the stack's controller configuration. */
  startController(env?: Readonly<Record<string, string>>): Promise<StackController>;
  /** Restarts the gateway on the same data, then every controller against it. */
  restartGateway(): Promise<void>;
  /** The text of `/metrics` of the gateway or the default controller. */
  metrics(service: "gateway" | "controller"): Promise<string>;
  /** Stops everything and removes the data. */
  close(): Promise<void>;
}

/** Request headers of `caller`. */
export function callerHeaders(caller: Caller): Record<string, string> {
  return typeof caller === "string" ? { "x-pecr-principal-id": caller } : { ...caller };
}

function withHeaders(headers: Record<string, string>): Interceptor {
  return (next) => (request) => {
    for (const [name, value] of Object.entries(headers)) request.header.set(name, value);
    return next(request);
  };
}

/** A gRPC client of a gateway at `url`. */
export function gatewayClient(url: string, caller: Caller): Client<typeof GatewayService> {
  return createClient(GatewayService, createGrpcTransport({ baseUrl: url, interceptors: [withHeaders(callerHeaders(caller))] }));
}

/** A Connect (HTTP/2) client of a controller at `url`. */
export function controllerClient(url: string, caller: Caller): Client<typeof ControllerService> {
  return createClient(ControllerService, createConnectTransport({ baseUrl: url, httpVersion: "2", interceptors: [withHeaders(callerHeaders(caller))] }));
}

/** Starts a gateway and one controller on it. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const backend = options.backend ?? "pglite";
  const { dir, corpusDir, env: workspaceEnv } = createGatewayWorkspace("pecr-stack-");
  const gatewayLogs: string[] = [];
  const gatewayEnv: Record<string, string> = { ...workspaceEnv, ...STACK_GATEWAY_TIMEOUTS };
  let sql: postgres.Sql | undefined;
  let dbProxy: TcpFaultProxy | undefined;
  const cleanup: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const controllers: StackController[] = [];
  let gatewayApp: GatewayApp | undefined;

  const startGatewayApp = async () =>
    startGateway({
      source: gatewayEnv,
      logger: createLogger({ service: "pecr-gateway", destination: { write: (line: string) => void gatewayLogs.push(line) } }),
      port: 0,
      ...(options.policy ? { policy: options.policy } : {}),
    });

  const controllerEnvs = new Map<StackController, Record<string, string>>();
  const launchController = async (env: Record<string, string>): Promise<StackController> => {
    const logs: string[] = [];
    const source = {
      PECR_GATEWAY_URL: gatewayApp!.server.url,
      PECR_BUDGET_DEFAULTS: STACK_BUDGET_JSON,
      PECR_RATE_LIMIT_RUN_PER_WINDOW: "0",
      ...options.controllerEnv,
      ...env,
    };
    const running = await startController(readControllerConfig(createConfigReader(source)), {
      port: 0,
      logger: createLogger({ service: "controller", destination: { write: (line: string) => void logs.push(line) } }),
    });
    const url = running.server.url;
    const served: StackController = { url, logs, running, client: (caller) => controllerClient(url, caller) };
    controllerEnvs.set(served, env);
    return served;
  };

  try {
    if (backend === "postgres") {
      const schema = await createTestSchema("pecr_e2e");
      sql = schema.sql;
      cleanup.push(() => schema.drop());
      const url = schema.url;
      let gatewayDbUrl = url;
      if (options.dbFaultProxy) {
        const target = new URL(url);
        const proxy = await startTcpFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
        dbProxy = proxy;
        cleanup.push(() => proxy.close());
        target.hostname = "127.0.0.1";
        target.port = String(proxy.port);
        gatewayDbUrl = target.toString();
      }
      Object.assign(gatewayEnv, { PECR_DB_URL: gatewayDbUrl, PECR_DB_SCHEMA: schema.name, PECR_LOAD_FIXTURES: "1" });
    }
    Object.assign(gatewayEnv, options.gatewayEnv);
    gatewayApp = await startGatewayApp();
    controllers.push(await launchController({}));
  } catch (error) {
    for (const controller of controllers) await controller.running.close();
    await gatewayApp?.close();
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    throw error;
  }

  let closing: Promise<void> | undefined;
  const stack: Stack = {
    backend,
    get gatewayApp() {
      return gatewayApp!;
    },
    get gatewayUrl() {
      return gatewayApp!.server.url;
    },
    gatewayLogs,
    corpusDir,
    sql,
    dbProxy,
    get controller() {
      return controllers[0]!;
    },
    gateway: (caller) => gatewayClient(gatewayApp!.server.url, caller),
    async startController(env = {}) {
      const controller = await launchController({ ...env });
      controllers.push(controller);
      return controller;
    },
    async restartGateway() {
      for (const controller of controllers) await controller.running.close();
      await gatewayApp!.close();
      gatewayApp = await startGatewayApp();
      const envs = controllers.map((controller) => controllerEnvs.get(controller) ?? {});
      controllers.length = 0;
      for (const env of envs) controllers.push(await launchController(env));
    },
    async metrics(service) {
      const base = service === "gateway" ? gatewayApp!.server.url : controllers[0]!.url;
      return (await fetch(`${base}/metrics`)).text();
    },
    close: () =>
      (closing ??= (async () => {
        for (const controller of controllers) await controller.running.close().catch(() => undefined);
        await gatewayApp?.close().catch(() => undefined);
        for (const step of cleanup.reverse()) await step().catch(() => undefined);
      })()),
  };
  return stack;
}
