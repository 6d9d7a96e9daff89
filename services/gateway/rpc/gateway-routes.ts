/**
 * The gateway's Connect routes: `router.service(GatewayService, impl)` built from the dependencies.
 */
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { createAuditHandlers } from "./audit-handlers.js";
import { createOperatorHandlers } from "./operator-handlers.js";
import { createSessionHandlers } from "./session-handlers.js";
import { registerMcpAuditService } from "../mcp/mcp-audit-routes.js";

/** The GatewayService implementation. */
export function createGatewayService(deps: GatewayDeps): ServiceImpl<typeof GatewayService> {
  return { ...createSessionHandlers(deps), ...createOperatorHandlers(deps), ...createAuditHandlers(deps) };
}

/** Registers the gateway's routes. */
export function gatewayRoutes(deps: GatewayDeps): (router: ConnectRouter) => void {
  const service = createGatewayService(deps);
  return (router) => void registerMcpAuditService(router.service(GatewayService, service), deps);
}
