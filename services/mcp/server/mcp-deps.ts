/**
 * What the MCP server's request handling depends on, built once by the composition root (mcp-app.ts) and
 * passed in explicitly.
 */
import type { Logger } from "pino";
import type { McpConfig } from "../config/mcp-config.js";
import type { PecrClients } from "../gateway/pecr-clients.js";

/** The server's dependencies. */
export interface McpDeps {
  /** Parsed configuration. */
  readonly config: McpConfig;
  /** Connections to the gateway and the controller. */
  readonly clients: PecrClients;
  /** Logger (stderr: stdout is the stdio transport's). */
  readonly logger: Logger;
  /** A new trace id (a ULID), for calls whose `_meta` carries none. */
  readonly newTraceId: () => string;
}
