/**
 * The stack under load, every part in its own process: the gateway (`processes/gateway-process.ts`), one
 * controller per planner (`processes/controller-process.ts`), optionally an OPA-compatible policy server
 * (`pecr opa-serve`) and, for the Postgres outage, either a private Postgres cluster the suite may stop
 * (private-postgres.ts) or a TCP fault proxy between the gateway and PECR_DB_URL's server
 * (`processes/fault-proxy-process.ts`). The ledger is a fresh schema of a real Postgres (dropped by `close`)
 * or an embedded PGlite directory (removed by `close`). `start` (re)starts gateway and controllers with a
 * scenario's configuration on the same ledger, so a fault scenario's writes are audited with everything else;
 * only a layout on the private cluster has a ledger of its own there (removed by `dropPrivateDb` or `close`).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import type { PlannerName } from "../../../services/controller/config/controller-config.js";
import { type ScriptProcess, startScriptProcess } from "../support/script-process.js";
import type { LogLevel } from "#core/observability/logger.js";
import { type PostgresInstall, type PrivatePostgres, startPrivatePostgres } from "./private-postgres.js";
import { serviceLogEnv } from "./processes/service-logger.js";

/** The controllers' default budget (the original's compose default). */
export const CONTROLLER_BUDGET_JSON =
  '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":10000,"max_recursion_depth":5,"max_parallelism":4}';

/** How `start` lays out the services. */
export interface StackLayout {
  /** Gateway variables over the suite's defaults (e.g. a broken PECR_OPA_URL). */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  /** One controller per planner named here. */
  readonly controllers: readonly PlannerName[];
  /** Route the gateway's Postgres connections through the fault proxy (Postgres only). */
  readonly dbThroughProxy?: boolean;
  /**
   * Put the gateway's ledger on a private cluster of this installation instead (any backend), started on first
   * use and kept, with its ledger, until `dropPrivateDb`.
   */
  readonly privateDb?: PostgresInstall;
}

/** Cuts and restores the gateway's connection to Postgres. */
export interface DbFaultProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** Drops every connection and refuses new ones, as a stopped server does. */
  cut(): Promise<void>;
  /** Accepts connections again. */
  restore(): Promise<void>;
}

/** A running service of the stack. */
export interface StackService {
  /** `gateway`, `controller (mock)`, `opa-serve`, ... */
  readonly name: string;
  /** Its process. */
  readonly process: ScriptProcess;
}

/** The stack. */
export interface PerfStack {
  /** The ledger backend. */
  readonly backend: "postgres" | "pglite";
  /** The policy engine the gateway uses by default. */
  readonly policy: "embedded" | "opa";
  /** (Re)starts gateway and controllers. */
  start(layout: StackLayout): Promise<void>;
  /** The gateway's URL. */
  readonly gatewayUrl: string;
  /** The URL of the controller running `planner`. */
  controllerUrl(planner: PlannerName): string;
  /** The fault proxy, once a layout routed Postgres through it. */
  readonly dbProxy: DbFaultProxy | undefined;
  /** The private Postgres cluster, while a layout put the ledger on it. */
  readonly privateDb: PrivatePostgres | undefined;
  /**
   * Stops gateway and controllers, then stops and removes the private cluster, if any (the next `start` must
   * name a layout; a later `privateDb` layout gets a fresh cluster).
   */
  dropPrivateDb(): Promise<void>;
  /** Every running service. */
  services(): StackService[];
  /**
   * Stops gateway, controllers, policy server and proxy; removes the private cluster; drops the schema or
   * removes the data directory.
   */
  close(): Promise<void>;
}

/** Options of `createPerfStack`. */
export interface PerfStackOptions {
  /** Real Postgres; undefined means PGlite. */
  readonly dbUrl: string | undefined;
  /** Run `pecr opa-serve` and point the gateway at it. */
  readonly opa: boolean;
  /** Directory of the services' log files. */
  readonly logDir: string;
  /** The services' log level (`PECR_PERF_LOG_LEVEL`). */
  readonly logLevel: LogLevel;
}

const GATEWAY_READY = /^gateway listening on (\S+)/;
const CONTROLLER_READY = /^controller listening on (\S+)/;

/** Creates the ledger (schema or directory) and, when asked, the policy server; `start` launches the rest. */
export async function createPerfStack(options: PerfStackOptions): Promise<PerfStack> {
  const logFile = (name: string) => resolve(options.logDir, `${name}.log`);
  await mkdir(options.logDir, { recursive: true });
  const cleanup: (() => Promise<unknown>)[] = [];
  const ledgerEnv: Record<string, string> = {};
  let dbTarget: URL | undefined;
  if (options.dbUrl !== undefined) {
    const schema = `pecr_perf_${process.pid}_${Date.now().toString(36)}`;
    const admin = postgres(options.dbUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    cleanup.push(async () => {
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    });
    Object.assign(ledgerEnv, { PECR_DB_URL: options.dbUrl, PECR_DB_SCHEMA: schema, PECR_LOAD_FIXTURES: "1" });
    dbTarget = new URL(options.dbUrl);
  } else {
    const dir = await mkdtemp(join(tmpdir(), "pecr-perf-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    ledgerEnv.PECR_DATA_DIR = dir;
  }

  let opaServer: ScriptProcess | undefined;
  let proxy: ScriptProcess | undefined;
  let dbProxy: DbFaultProxy | undefined;
  // The cluster's start is kept as a promise so that `close` also tears down one still starting (Ctrl-C in initdb).
  let privateDbStart: Promise<PrivatePostgres> | undefined;
  let privateDb: PrivatePostgres | undefined;
  let gateway: ScriptProcess | undefined;
  const controllers = new Map<PlannerName, ScriptProcess>();

  const stopServices = async () => {
    await Promise.all([...controllers.values()].map((controller) => controller.stop()));
    controllers.clear();
    await gateway?.stop();
    gateway = undefined;
  };
  const dropPrivateDb = async () => {
    const starting = privateDbStart;
    if (starting === undefined) return;
    await stopServices();
    privateDbStart = privateDb = undefined;
    await starting.then(
      (server) => server.destroy(),
      // A start that failed has removed its own directory.
      () => undefined,
    );
  };
  const close = async () => {
    await stopServices();
    await dropPrivateDb();
    await opaServer?.stop();
    await proxy?.stop();
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
  };

  try {
    if (options.opa) {
      opaServer = await startScriptProcess({
        name: "opa-serve",
        script: "scripts/pecr.ts",
        args: ["opa-serve", "--addr", "127.0.0.1:0"],
        ready: / at (http:\/\/\S+)/,
      });
    }
  } catch (error) {
    await close();
    throw error;
  }

  const startProxy = async (): Promise<DbFaultProxy> => {
    if (dbTarget === undefined) throw new Error("the Postgres fault proxy needs a real Postgres (PECR_DB_URL)");
    const child = await startScriptProcess({
      name: "fault proxy",
      script: "scripts/perf/suite7/processes/fault-proxy-process.ts",
      args: [dbTarget.hostname, dbTarget.port || "5432"],
      ready: /^proxy listening on (\d+)/,
      ipc: true,
    });
    proxy = child;
    const command = (op: "cut" | "restore") =>
      new Promise<void>((resolve, reject) => {
        const onMessage = (message: { op: string; done?: boolean; error?: string }) => {
          if (message.op !== op) return;
          child.child.off("message", onMessage);
          if (message.error !== undefined) reject(new Error(`proxy ${op}: ${message.error}`));
          else resolve();
        };
        child.child.on("message", onMessage);
        child.child.send({ op, mode: "refuse" });
      });
    return { port: Number(child.ready), cut: () => command("cut"), restore: () => command("restore") };
  };

  const stack: PerfStack = {
    backend: options.dbUrl === undefined ? "pglite" : "postgres",
    policy: options.opa ? "opa" : "embedded",
    get gatewayUrl() {
      if (gateway === undefined) throw new Error("the gateway is not running");
      return gateway.ready;
    },
    controllerUrl(planner) {
      const controller = controllers.get(planner);
      if (controller === undefined) throw new Error(`no ${planner} controller is running`);
      return controller.ready;
    },
    get dbProxy() {
      return dbProxy;
    },
    get privateDb() {
      return privateDb;
    },
    dropPrivateDb,
    async start(layout) {
      await stopServices();
      if (layout.privateDb !== undefined && layout.dbThroughProxy) throw new Error("a layout puts the ledger on the private cluster or behind the proxy, not both");
      let ledger = ledgerEnv;
      if (layout.privateDb !== undefined) {
        const install = layout.privateDb;
        privateDbStart ??= startPrivatePostgres(install);
        try {
          privateDb = await privateDbStart;
        } catch (error) {
          privateDbStart = undefined;
          throw error;
        }
        // The cluster is the suite's alone, so a fixed schema name is enough; the fixtures are what the load reads.
        ledger = { PECR_DB_URL: privateDb.url, PECR_DB_SCHEMA: "pecr_perf", PECR_LOAD_FIXTURES: "1" };
      }
      const env: Record<string, string> = {
        PECR_BIND_ADDR: "127.0.0.1:0",
        PECR_AUTH_MODE: "local",
        // Suite 7 sends far more than the default per-principal limits as one principal (reference §8.3).
        PECR_RATE_LIMIT_SESSIONS_PER_WINDOW: "0",
        PECR_RATE_LIMIT_OPERATORS_PER_WINDOW: "0",
        PECR_RATE_LIMIT_FINALIZE_PER_WINDOW: "0",
        PECR_RATE_LIMIT_AUDIT_PER_WINDOW: "0",
        ...serviceLogEnv(logFile("gateway"), options.logLevel),
        ...ledger,
        ...(opaServer === undefined ? {} : { PECR_OPA_URL: opaServer.ready }),
      };
      if (layout.dbThroughProxy) {
        dbProxy ??= await startProxy();
        const viaProxy = new URL(ledgerEnv.PECR_DB_URL!);
        viaProxy.hostname = "127.0.0.1";
        viaProxy.port = String(dbProxy.port);
        env.PECR_DB_URL = viaProxy.toString();
      }
      Object.assign(env, layout.gatewayEnv);
      gateway = await startScriptProcess({
        name: "gateway",
        script: "scripts/perf/suite7/processes/gateway-process.ts",
        env,
        ready: GATEWAY_READY,
        stderrFile: logFile("gateway.stderr"),
      });
      const gatewayUrl = gateway.ready;
      await Promise.all(
        layout.controllers.map(async (planner) => {
          const controller = await startScriptProcess({
            name: `controller (${planner})`,
            script: "scripts/perf/suite7/processes/controller-process.ts",
            env: {
              PECR_CONTROLLER_BIND_ADDR: "127.0.0.1:0",
              PECR_AUTH_MODE: "local",
              PECR_GATEWAY_URL: gatewayUrl,
              PECR_BUDGET_DEFAULTS: CONTROLLER_BUDGET_JSON,
              PECR_CONTROLLER_PLANNER: planner,
              PECR_RATE_LIMIT_RUN_PER_WINDOW: "0",
              ...serviceLogEnv(logFile(`controller-${planner}`), options.logLevel),
            },
            ready: CONTROLLER_READY,
            stderrFile: logFile(`controller-${planner}.stderr`),
          });
          controllers.set(planner, controller);
        }),
      );
    },
    services() {
      const running: StackService[] = [];
      if (gateway !== undefined) running.push({ name: "gateway", process: gateway });
      for (const [planner, controller] of controllers) running.push({ name: `controller (${planner})`, process: controller });
      if (opaServer !== undefined) running.push({ name: "opa-serve", process: opaServer });
      if (proxy !== undefined) running.push({ name: "pg fault proxy", process: proxy });
      return running;
    },
    close,
  };
  return stack;
}
