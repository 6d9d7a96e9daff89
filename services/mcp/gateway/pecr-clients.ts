/**
 * The MCP server's outbound connections: Connect (binary) over HTTP/2 to the gateway (GatewayService and
 * McpAuditService) and, for `ask`, to the controller (ControllerService). Every call carries the server's own
 * credentials from its configuration, added by an interceptor so no call site can send anything else, plus the
 * tool call's trace id.
 */
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { AUTHORIZATION_HEADER, LOCAL_AUTH_SECRET_HEADER, PRINCIPAL_ID_HEADER } from "#core/auth/auth-headers.js";
import type { ClientTlsConfig } from "#core/auth/tls-config.js";
import { TRACE_ID_HEADER } from "#core/observability/request-ids.js";
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { McpAuditService } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import type { McpConfig, McpCredentials } from "../config/mcp-config.js";

/** Largest response accepted (a FetchSpan of a 4 MiB document plus framing). */
const READ_MAX_BYTES = 16 * 1024 * 1024;

/** The clients the server uses. */
export interface PecrClients {
  /** The gateway's operators. */
  readonly gateway: Client<typeof GatewayService>;
  /** The gateway's MCP audit service. */
  readonly audit: Client<typeof McpAuditService>;
  /** The controller; undefined when `ask` is not configured. */
  readonly controller: Client<typeof ControllerService> | undefined;
  /** Closes the connections. */
  close(): void;
}

/** The credential headers of `credentials`. */
export function credentialHeaders(credentials: McpCredentials): Record<string, string> {
  if (credentials.kind === "bearer") return { [AUTHORIZATION_HEADER]: `Bearer ${credentials.token}` };
  return {
    [PRINCIPAL_ID_HEADER]: credentials.principalId,
    ...(credentials.sharedSecret === undefined ? {} : { [LOCAL_AUTH_SECRET_HEADER]: credentials.sharedSecret }),
  };
}

/** Sets the credential headers on every request, replacing whatever a call site put there. */
function credentialsInterceptor(credentials: McpCredentials): Interceptor {
  const headers = credentialHeaders(credentials);
  return (next) => (request) => {
    for (const name of [AUTHORIZATION_HEADER, PRINCIPAL_ID_HEADER, LOCAL_AUTH_SECRET_HEADER]) request.header.delete(name);
    for (const [name, value] of Object.entries(headers)) request.header.set(name, value);
    return next(request);
  };
}

function transport(url: URL, tls: ClientTlsConfig | undefined, credentials: McpCredentials): { transport: Transport; close: () => void } {
  const nodeOptions = url.protocol === "https:" ? { ...tls, ALPNProtocols: ["h2"] } : {};
  const sessionManager = new Http2SessionManager(url, { pingIntervalMs: 30_000, idleConnectionTimeoutMs: 300_000 }, nodeOptions);
  return {
    transport: createConnectTransport({
      baseUrl: url.toString(),
      httpVersion: "2",
      useBinaryFormat: true,
      sessionManager,
      readMaxBytes: READ_MAX_BYTES,
      interceptors: [credentialsInterceptor(credentials)],
    }),
    close: () => sessionManager.abort(),
  };
}

/** Creates the clients of `config`. */
export function createPecrClients(config: McpConfig): PecrClients {
  const gateway = transport(config.gatewayUrl, config.gatewayTls, config.credentials);
  const controller = config.controllerUrl === undefined ? undefined : transport(config.controllerUrl, config.controllerTls, config.credentials);
  return {
    gateway: createClient(GatewayService, gateway.transport),
    audit: createClient(McpAuditService, gateway.transport),
    controller: controller === undefined ? undefined : createClient(ControllerService, controller.transport),
    close() {
      gateway.close();
      controller?.close();
    },
  };
}

/** Call options of one call: its trace id and deadline. */
export function callOptions(traceId: string, timeoutMs: number, signal?: AbortSignal) {
  return { headers: { [TRACE_ID_HEADER]: traceId }, timeoutMs, ...(signal === undefined ? {} : { signal }) };
}
