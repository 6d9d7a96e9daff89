/**
 * The controller's one outbound connection: Connect (binary) over HTTP/2 to `PECR_GATEWAY_URL`, cleartext h2c for
 * http:// URLs and TLS (optionally presenting a client certificate) for https:// URLs. The HTTP/2 session is owned
 * here so shutdown can close it.
 */
import type { Transport } from "@connectrpc/connect";
import { Http2SessionManager, createConnectTransport } from "@connectrpc/connect-node";
import type { ClientTlsConfig } from "#core/auth/tls-config.js";

/** Largest gateway response accepted (a FetchSpan of a 4 MiB document plus framing). */
export const GATEWAY_READ_MAX_BYTES = 16 * 1024 * 1024;

/** A transport to the gateway and the connection behind it. */
export interface GatewayTransport {
  /** The Connect transport. */
  readonly transport: Transport;
  /** Closes the HTTP/2 connection; in-flight calls fail. */
  close(): void;
}

/** Creates the transport for `url`; `tls` is only used for https:// URLs. */
export function createGatewayTransport(url: URL, tls: ClientTlsConfig | undefined): GatewayTransport {
  const nodeOptions = url.protocol === "https:" ? { ...tls, ALPNProtocols: ["h2"] } : {};
  // Keep-alive pings detect a gateway that went away between runs instead of failing the next run's first call.
  const sessionManager = new Http2SessionManager(url, { pingIntervalMs: 30_000, idleConnectionTimeoutMs: 300_000 }, nodeOptions);
  const transport = createConnectTransport({
    baseUrl: url.toString(),
    httpVersion: "2",
    useBinaryFormat: true,
    sessionManager,
    readMaxBytes: GATEWAY_READ_MAX_BYTES,
  });
  return { transport, close: () => sessionManager.abort() };
}
