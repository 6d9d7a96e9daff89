/**
 * The load generator's clients: generated Connect clients over gRPC on HTTP/2 (the protocol k6 and ghz speak),
 * spread over a few connections per service, each request carrying the caller's principal header.
 */
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { PRINCIPAL_ID_HEADER } from "#core/auth/auth-headers.js";
import { REQUEST_ID_HEADER } from "#core/observability/request-ids.js";
import { SESSION_TOKEN_HEADER } from "../../../services/gateway/rpc/call-identity.js";

/** The headers the load sets, re-exported from the services that read them so the two cannot drift apart. */
export { PRINCIPAL_ID_HEADER, REQUEST_ID_HEADER, SESSION_TOKEN_HEADER };

/** Clients of one service on `connections` HTTP/2 connections; virtual user `n` uses connection `n % connections`. */
export interface ClientPool<S extends DescService> {
  /** The client of virtual user `user`. */
  forUser(user: number): Client<S>;
}

/** Creates a pool of clients of `service` at `baseUrl` acting as `principal` (none for the echo service). */
export function createClientPool<S extends DescService>(service: S, baseUrl: string, connections: number, principal?: string): ClientPool<S> {
  const interceptors: Interceptor[] =
    principal === undefined
      ? []
      : [
          (next) => (request) => {
            request.header.set(PRINCIPAL_ID_HEADER, principal);
            return next(request);
          },
        ];
  // One transport per connection: each connect-node gRPC transport keeps its own HTTP/2 session.
  const clients = Array.from({ length: Math.max(1, connections) }, () => createClient(service, createGrpcTransport({ baseUrl, interceptors })));
  return { forUser: (user) => clients[user % clients.length]! };
}
