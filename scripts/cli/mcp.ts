/**
 * `pecr mcp`: PECR's MCP server, and the approval of escalated MCP tool calls.
 *
 *   pecr mcp                          serve one MCP client over stdio (what an MCP client configuration starts)
 *   pecr mcp --http 127.0.0.1:0       serve MCP over streamable HTTP on a loopback address; prints the endpoint URL
 *   pecr mcp approve <approval_id> [--reject] [--principal NAME | --token JWT] [--url GATEWAY_URL]
 *                                     approve (or reject) an escalated tool call as a human principal
 *   pecr mcp approval <approval_id> [--principal NAME | --token JWT] [--url GATEWAY_URL]
 *                                     show an approval
 *
 * The server is configured by PECR_* variables (services/mcp/config/mcp-config.ts; README "Connecting an MCP
 * client"). In stdio mode stdout carries the protocol only: logs go to stderr. Exit status: 0 on success, 1 on
 * errors, 2 on bad usage.
 */
import { parseArgs } from "node:util";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createConfigReader } from "#core/config/config-reader.js";
import { parseHostPort } from "#core/config/config-reader.js";
import { loadConfigSource } from "#core/config/config-source.js";
import { formatStartupError } from "#core/config/startup-error.js";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { createLogger } from "#core/observability/logger.js";
import { type McpApproval, McpApprovalState, McpAuditService } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { readMcpConfig } from "../../services/mcp/config/mcp-config.js";
import { credentialHeaders } from "../../services/mcp/gateway/pecr-clients.js";
import { type RunningMcp, serveMcpHttp, serveMcpStdio } from "../../services/mcp/mcp-app.js";

const USAGE = `usage: pecr mcp [--http 127.0.0.1:PORT]
       pecr mcp approve <approval_id> [--reject] [--principal NAME | --token JWT] [--url GATEWAY_URL]
       pecr mcp approval <approval_id> [--principal NAME | --token JWT] [--url GATEWAY_URL]`;

async function serve(args: string[]): Promise<number> {
  let http: string | undefined;
  try {
    http = parseArgs({ args, options: { http: { type: "string" } } }).values.http;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  let running: RunningMcp;
  try {
    const config = readMcpConfig(createConfigReader(loadConfigSource()));
    const logger = createLogger({ service: "pecr-mcp", destination: process.stderr });
    running = http === undefined ? await serveMcpStdio(config, logger) : await serveMcpHttp(config, logger, parseHostPort("--http", http));
  } catch (error) {
    console.error(formatStartupError(error));
    return 1;
  }
  if (running.url !== undefined) console.log(`pecr mcp listening on ${running.url}`);
  await Promise.race([
    running.done,
    new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    }),
  ]);
  await running.close();
  return 0;
}

function describe(approval: McpApproval | undefined): string {
  if (approval === undefined) return "no approval returned";
  const state = McpApprovalState[approval.state] ?? "UNSPECIFIED";
  const decided = approval.decidedBy === "" ? "" : `, decided by ${approval.decidedBy}`;
  return `approval ${approval.approvalId}: ${state.toLowerCase()} (${approval.toolName} by ${approval.actor}, arguments ${approval.argumentsHash.slice(0, 16)}…${decided})`;
}

async function approval(command: "approve" | "approval", args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        reject: { type: "boolean", default: false },
        principal: { type: "string" },
        token: { type: "string" },
        url: { type: "string" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [approvalId, ...rest] = parsed.positionals;
  const { principal, token } = parsed.values;
  if (approvalId === undefined || rest.length > 0 || (principal === undefined) === (token === undefined) || (command === "approval" && parsed.values.reject)) {
    console.error(`${USAGE}\n(name yourself with exactly one of --principal or --token)`);
    return 2;
  }
  const source = loadConfigSource();
  const gatewayUrl = parsed.values.url ?? source.PECR_GATEWAY_URL ?? "http://127.0.0.1:8080";
  const sharedSecret = source.PECR_LOCAL_AUTH_SHARED_SECRET?.trim() || undefined;
  const headers = credentialHeaders(token !== undefined ? { kind: "bearer", token } : { kind: "local", principalId: principal as string, sharedSecret });
  const client = createClient(McpAuditService, createConnectTransport({ baseUrl: gatewayUrl, httpVersion: "2" }));
  try {
    const response =
      command === "approve"
        ? await client.decideApproval({ approvalId, approved: !parsed.values.reject }, { headers })
        : await client.getApproval({ approvalId }, { headers });
    console.log(describe(response.approval));
    return 0;
  } catch (error) {
    const connectError = ConnectError.from(error);
    console.error(`error: ${connectError.rawMessage} (${findErrorDetail(connectError)?.code ?? connectError.code})`);
    return 1;
  }
}

/** Runs `pecr mcp`; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === "--help" || first === "help") {
    console.error(USAGE);
    return 0;
  }
  if (first === "approve" || first === "approval") return approval(first, rest);
  return serve(args);
}
