/**
 * The MCP server's composition root: builds the dependencies from a parsed configuration, then serves one
 * connection over stdio or many over streamable HTTP. The one place that knows concrete implementations.
 */
import type { Logger } from "pino";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { newUlid } from "#core/observability/request-ids.js";
import type { McpConfig } from "./config/mcp-config.js";
import { createPecrClients } from "./gateway/pecr-clients.js";
import { startMcpHttpHost } from "./server/http-host.js";
import { createMcpConnection } from "./server/mcp-connection.js";
import type { McpDeps } from "./server/mcp-deps.js";

/** A running MCP server. */
export interface RunningMcp {
  /** The HTTP endpoint (HTTP transport only). */
  readonly url: string | undefined;
  /** Resolves when the stdio client disconnected (never for HTTP: close it). */
  readonly done: Promise<void>;
  /** Stops serving and closes the outbound connections. */
  close(): Promise<void>;
}

/** Builds the dependencies of `config`. */
export function createMcpDeps(config: McpConfig, logger: Logger): McpDeps {
  return { config, clients: createPecrClients(config), logger, newTraceId: newUlid };
}

/** Serves one MCP connection over the process's stdin and stdout. */
export async function serveMcpStdio(config: McpConfig, logger: Logger): Promise<RunningMcp> {
  const deps = createMcpDeps(config, logger);
  const { server, end } = createMcpConnection(deps);
  const transport = new StdioServerTransport();
  const done = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
  });
  await server.connect(transport);
  logger.info({ gateway: config.gatewayUrl.origin, ask: config.controllerUrl !== undefined }, "pecr-mcp serving on stdio");
  return {
    url: undefined,
    done,
    async close() {
      await server.close().catch(() => undefined);
      await end();
      deps.clients.close();
    },
  };
}

/** Serves MCP over streamable HTTP on `host:port` (loopback only). */
export async function serveMcpHttp(config: McpConfig, logger: Logger, bind: { readonly host: string; readonly port: number }): Promise<RunningMcp> {
  const deps = createMcpDeps(config, logger);
  let host;
  try {
    host = await startMcpHttpHost(deps, bind);
  } catch (error) {
    deps.clients.close();
    throw error;
  }
  logger.info({ url: host.url, gateway: config.gatewayUrl.origin, ask: config.controllerUrl !== undefined }, "pecr-mcp listening");
  return {
    url: host.url,
    done: new Promise<void>(() => undefined),
    async close() {
      await host.close();
      deps.clients.close();
    },
  };
}
