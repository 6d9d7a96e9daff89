/**
 * The MCP suites' stack: a real gateway (test/support/gateway-harness.ts: PGlite, or a fresh schema of the
 * Postgres named by `PECR_TEST_DB_URL`), a real controller on it, and MCP servers started in this process over
 * streamable HTTP (or described for a spawned `pecr mcp` over stdio), plus MCP SDK clients and the auditor's view
 * of the ledger's MCP events. Everything listens on 127.0.0.1 port 0 and is closed by `close()`.
 */
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { pino } from "pino";
import { createConfigReader } from "#core/config/config-reader.js";
import { createLogger } from "#core/observability/logger.js";
import type { LedgerEventRecord } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type McpEnforcementEvent, McpEnforcementEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { type RunningController, startController } from "../../../../services/controller/app/controller-app.js";
import { readControllerConfig } from "../../../../services/controller/config/controller-config.js";
import { readMcpConfig } from "../../../../services/mcp/config/mcp-config.js";
import { type RunningMcp, serveMcpHttp } from "../../../../services/mcp/mcp-app.js";
import { type Backend, type GatewayHarness, startGatewayHarness } from "../../../support/gateway-harness.js";

/** The repository root (the spawned CLI's working directory). */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** The controller's default budget in the suites. */
const BUDGET_JSON = '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":10000,"max_recursion_depth":5,"max_parallelism":4}';

/** A running stack. */
export interface McpStack {
  /** The gateway. */
  readonly gateway: GatewayHarness;
  /** The controller's URL. */
  readonly controllerUrl: string;
  /** The MCP server environment for `principal` against this stack, with `overrides`. */
  mcpEnv(principal: string, overrides?: Readonly<Record<string, string>>): Record<string, string>;
  /** Starts an MCP server over HTTP in this process (closed with the stack). */
  startHttpMcp(env: Readonly<Record<string, string>>): Promise<RunningMcp>;
  /** Connects an MCP SDK client to an HTTP MCP endpoint (closed with the stack). */
  httpClient(url: string, clientInfo?: { readonly name: string; readonly version: string }): Promise<Client>;
  /**
   * Spawns `pecr mcp` over stdio the way the README's MCP client configuration does (`npm --silent --prefix <repo>
   * run pecr -- mcp`) with `env`, and connects an MCP SDK client to it (closed with the stack).
   */
  stdioClient(env: Readonly<Record<string, string>>): Promise<Client>;
  /** Every MCP enforcement event of the chain, in order, as the auditor reads them through ListEvents. */
  enforcementEvents(): Promise<{ readonly record: LedgerEventRecord; readonly event: McpEnforcementEvent }[]>;
  /** Stops everything. */
  close(): Promise<void>;
}

/** Starts the stack. */
export async function startMcpStack(backend: Backend, gatewayEnv: Readonly<Record<string, string>> = {}): Promise<McpStack> {
  const gateway = await startGatewayHarness({ backend, env: { PECR_LOCAL_HUMAN_PRINCIPALS: "alice", ...gatewayEnv } });
  const closers: (() => Promise<unknown>)[] = [() => gateway.close()];
  let controller: RunningController;
  try {
    controller = await startController(
      readControllerConfig(
        createConfigReader({ PECR_GATEWAY_URL: gateway.url, PECR_BUDGET_DEFAULTS: BUDGET_JSON, PECR_RATE_LIMIT_RUN_PER_WINDOW: "0" }),
      ),
      { port: 0, logger: createLogger({ service: "controller", level: "silent" }) },
    );
  } catch (error) {
    await gateway.close();
    throw error;
  }
  closers.push(() => controller.close());
  const auditor = gateway.client("auditor");

  return {
    gateway,
    controllerUrl: controller.server.url,
    mcpEnv(principal, overrides = {}) {
      return {
        PECR_GATEWAY_URL: gateway.url,
        PECR_CONTROLLER_URL: controller.server.url,
        PECR_MCP_PRINCIPAL_ID: principal,
        ...overrides,
      };
    },
    async startHttpMcp(env) {
      const running = await serveMcpHttp(readMcpConfig(createConfigReader(env)), pino({ enabled: false }), { host: "127.0.0.1", port: 0 });
      closers.push(() => running.close());
      return running;
    },
    async httpClient(url, clientInfo = { name: "pecr-mcp-test", version: "1.0.0" }) {
      const client = new Client(clientInfo);
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      closers.push(() => client.close());
      return client;
    },
    async stdioClient(env) {
      const client = new Client({ name: "pecr-mcp-stdio-test", version: "1.0.0" });
      // The command and arguments of the README's client configuration snippet, from another working directory.
      const transport = new StdioClientTransport({
        command: "npm",
        args: ["--silent", "--prefix", REPO_ROOT, "run", "pecr", "--", "mcp"],
        cwd: tmpdir(),
        env: { PATH: process.env.PATH ?? "", ...env },
        stderr: "ignore",
      });
      await client.connect(transport);
      closers.push(() => client.close());
      return client;
    },
    async enforcementEvents() {
      const found: { record: LedgerEventRecord; event: McpEnforcementEvent }[] = [];
      for (let afterSeq = 0n; ; ) {
        const page = await auditor.listEvents({ afterSeq, pageSize: 1000 });
        for (const record of page.events) {
          const payload = record.event?.payload;
          if (payload?.case === "mcpEnforcement") found.push({ record, event: create(McpEnforcementEventSchema, payload.value) });
        }
        if (page.nextAfterSeq === 0n) return found;
        afterSeq = page.nextAfterSeq;
      }
    },
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
