/**
 * Registers McpAuditService on the gateway's router (the one line gateway-routes.ts has for it).
 *
 * Its one setting, `PECR_DATA_RESIDENCY_REGION`, is read here from the process's configuration source
 * (environment over `PECR_CONFIG_PATH`), because `GatewayConfig` does not carry it yet; `options` overrides it.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { loadConfigSource } from "#core/config/config-source.js";
import { McpAuditService } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { createMcpAuditService } from "./mcp-audit-service.js";
import { type McpAuditOptions, readMcpAuditOptions } from "./mcp-audit-options.js";

/** Adds McpAuditService to `router` and returns the router. */
export function registerMcpAuditService(router: ConnectRouter, deps: GatewayDeps, options?: McpAuditOptions): ConnectRouter {
  return router.service(McpAuditService, createMcpAuditService(deps, options ?? readMcpAuditOptions(loadConfigSource())));
}
