/**
 * Registers McpAuditService on the gateway's router (the one line gateway-routes.ts has for it).
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { McpAuditService } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { createMcpAuditService } from "./mcp-audit-service.js";

/** Adds McpAuditService, configured by `deps.config.mcpAudit`, to `router` and returns the router. */
export function registerMcpAuditService(router: ConnectRouter, deps: GatewayDeps): ConnectRouter {
  return router.service(McpAuditService, createMcpAuditService(deps, deps.config.mcpAudit));
}
