/**
 * Typed per-request context values the interceptor chain fills in and handlers read from `ctx.values`.
 */
import { createContextKey } from "@connectrpc/connect";
import { pino, type Logger } from "pino";
import type { Principal } from "#gen/pecr/v1/policy_pb.js";

/** Facts about the connection an RPC arrived on, set by the server from the Node request. */
export interface TransportInfo {
  /** Peer address, when known. */
  readonly remoteAddress: string | undefined;
  /** `1.1` or `2.0`. */
  readonly httpVersion: string;
  /** Whether the connection is TLS. */
  readonly encrypted: boolean;
  /** Whether the client presented a certificate the server's CA verified (mTLS); false without TLS. */
  readonly clientCertificateAuthorized: boolean;
}

/** The request id (sanitised `x-pecr-request-id`, or a new ULID). */
export const kRequestId = createContextKey<string>("", { description: "pecr request id" });

/** The trace id (a valid `x-pecr-trace-id` in uppercase, or a new ULID). */
export const kTraceId = createContextKey<string>("", { description: "pecr trace id" });

/**
 * The request's logger: a child carrying trace_id and request_id (and principal_id once authenticated). The
 * default is a disabled logger so a handler exercised without the chain (a unit test) logs nowhere rather than
 * crashing; it holds no state, so sharing it is harmless.
 */
export const kLogger = createContextKey<Logger>(pino({ enabled: false }), { description: "pecr request logger" });

/** The authenticated caller; undefined on public RPCs or when the service runs without authentication. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "pecr principal" });

/** The connection the request arrived on. */
export const kTransport = createContextKey<TransportInfo | undefined>(undefined, { description: "pecr transport" });
