/**
 * One MCP connection (a client session, over stdio or streamable HTTP): an MCP SDK `Server` offering the tools
 * the configuration allows, with its own gateway session and its own view of the client (its `initialize`
 * clientInfo). The low-level `Server` is used rather than `McpServer` because the input schemas are JSON Schema
 * derived from the proto messages (McpServer wants zod schemas), and arguments are judged by the rules before
 * they are validated.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { DescribeCallerResponse } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { createGatewaySessionHolder } from "../gateway/gateway-session.js";
import { callOptions } from "../gateway/pecr-clients.js";
import { TOOL_CATALOGUE } from "../tools/tool-catalogue.js";
import type { McpDeps } from "./mcp-deps.js";
import { type ConnectionContext, handleToolCall } from "./tool-call.js";

/** The server's name and version as MCP clients see them. */
export const MCP_SERVER_INFO = { name: "pecr", title: "PECR (policy-enforced context)", version: "0.1.0" } as const;

const INSTRUCTIONS =
  "PECR answers from policy-checked evidence. Use search to find documents, fetch_span to read them, fetch_rows and " +
  "aggregate for safe views, list_versions and diff for history, and ask for an evidence-backed answer. Cite the " +
  "evidence_unit_ids results carry. Every call is checked against the MCP rules and recorded in PECR's audit ledger; " +
  "a call refused with ERR_MCP_ESCALATED runs once a human approves it (repeat the same call then).";

/** The tools offered under `deps`' configuration. */
export function listedTools(deps: McpDeps): Tool[] {
  return TOOL_CATALOGUE.filter((tool) => deps.config.grant.allowedTools.has(tool.name)).map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool["inputSchema"],
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: tool.name !== "ask", openWorldHint: false },
  }));
}

/** One connection: its MCP server, and how to end it. */
export interface McpConnection {
  /** The MCP server to connect a transport to. */
  readonly server: Server;
  /**
   * Ends the connection's gateway session (finalized with an empty claim map, after queued calls) and logs the
   * outcome; never rejects. Call it when the transport closes.
   */
  end(): Promise<void>;
}

/** Creates one MCP connection. */
export function createMcpConnection(deps: McpDeps): McpConnection {
  const server = new Server(MCP_SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  let caller: Promise<DescribeCallerResponse> | undefined;
  const connection: ConnectionContext = {
    client: () => server.getClientVersion(),
    caller() {
      const asking = (caller ??= deps.clients.audit.describeCaller({}, callOptions(deps.newTraceId(), deps.config.callTimeoutMs)));
      // A failure is not kept: the next call asks again.
      asking.catch(() => {
        if (caller === asking) caller = undefined;
      });
      return asking;
    },
    session: createGatewaySessionHolder(deps.clients.gateway, deps.config.grant.maxBudget, deps.config.callTimeoutMs),
  };
  const tools = listedTools(deps);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    handleToolCall(deps, connection, {
      name: request.params.name,
      arguments: request.params.arguments,
      meta: request.params._meta as Record<string, unknown> | undefined,
      signal: extra.signal,
    }),
  );
  return {
    server,
    async end() {
      const traceId = deps.newTraceId();
      try {
        const sessionId = await connection.session.end(traceId);
        if (sessionId !== undefined) deps.logger.info({ session_id: sessionId, trace_id: traceId }, "mcp.session_finalized");
      } catch (error) {
        // The session expires with its token; the connection is gone either way.
        deps.logger.warn({ err: error, trace_id: traceId }, "mcp.session_finalize_failed");
      }
    },
  };
}
