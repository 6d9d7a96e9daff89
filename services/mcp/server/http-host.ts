/**
 * The streamable HTTP transport: `POST/GET/DELETE /mcp` on a loopback address, one MCP connection (and gateway
 * session) per MCP session id. The server acts with its own credentials, so anyone who can reach it acts as its
 * principal: it binds to loopback only, and refuses requests whose Host or Origin is not loopback (DNS
 * rebinding) and more than `maxSessions` concurrent sessions.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { StartupError } from "#core/config/startup-error.js";
import { createMcpConnection } from "./mcp-connection.js";
import type { McpDeps } from "./mcp-deps.js";

/** The path MCP is served on. */
export const MCP_HTTP_PATH = "/mcp";

/** Largest JSON-RPC request body accepted. */
const MAX_BODY_BYTES = 1024 * 1024;

/** A running HTTP host. */
export interface McpHttpHost {
  /** The MCP endpoint, e.g. `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  /** Closes every session and the listener. */
  close(): Promise<void>;
}

/** Options of the host. */
export interface McpHttpHostOptions {
  /** Loopback address to bind (127.0.0.1, ::1 or localhost). */
  readonly host: string;
  /** Port; 0 lets the OS choose. */
  readonly port: number;
  /** Most concurrent MCP sessions (default 64). */
  readonly maxSessions?: number;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

function isLoopbackHostHeader(value: string | undefined): boolean {
  if (value === undefined) return false;
  const hostname = value.startsWith("[") ? value.slice(0, value.indexOf("]") + 1) : (value.split(":")[0] ?? "");
  return LOOPBACK_HOSTS.has(hostname);
}

function isLoopbackOrigin(value: string | undefined): boolean {
  if (value === undefined) return true;
  try {
    return LOOPBACK_HOSTS.has(new URL(value).hostname);
  } catch {
    return false;
  }
}

function jsonRpcError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RangeError("request body too large");
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** Starts the host; refuses a non-loopback bind. */
export async function startMcpHttpHost(deps: McpDeps, options: McpHttpHostOptions): Promise<McpHttpHost> {
  if (!LOOPBACK_HOSTS.has(options.host)) {
    throw new StartupError("ERR_INVALID_CONFIG", "the MCP HTTP transport binds to a loopback address only (127.0.0.1, ::1, localhost)");
  }
  const maxSessions = options.maxSessions ?? 64;
  const sessions = new Map<string, { readonly transport: StreamableHTTPServerTransport; readonly server: Server }>();
  // Connections whose gateway session is being finalized.
  const ending = new Set<Promise<void>>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== MCP_HTTP_PATH) return jsonRpcError(res, 404, "not found");
    if (!isLoopbackHostHeader(req.headers.host) || !isLoopbackOrigin(req.headers.origin)) return jsonRpcError(res, 403, "forbidden host or origin");
    const sessionHeader = req.headers["mcp-session-id"];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    if (sessionId !== undefined) {
      const entry = sessions.get(sessionId);
      if (entry === undefined) return jsonRpcError(res, 404, "unknown MCP session");
      return entry.transport.handleRequest(req, res);
    }
    if (req.method !== "POST") return jsonRpcError(res, 400, "no MCP session");
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return jsonRpcError(res, 400, "invalid JSON-RPC body");
    }
    if (!isInitializeRequest(body)) return jsonRpcError(res, 400, "no MCP session: initialize first");
    if (sessions.size >= maxSessions) return jsonRpcError(res, 503, "too many MCP sessions");
    const { server, end } = createMcpConnection(deps);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      const ended = end();
      ending.add(ended);
      void ended.finally(() => ending.delete(ended));
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      deps.logger.error({ err: error }, "mcp.http_request_failed");
      if (!res.headersSent) jsonRpcError(res, 500, "internal error");
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostText}:${address.port}${MCP_HTTP_PATH}`,
    async close() {
      for (const { transport, server } of [...sessions.values()]) {
        await transport.close().catch(() => undefined);
        await server.close().catch(() => undefined);
      }
      sessions.clear();
      // Gateway sessions of closed connections are finalized before the clients close.
      await Promise.all(ending);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
