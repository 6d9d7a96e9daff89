/**
 * A real HTTP server publishing a JWKS on port 0, for the OIDC integration tests. It counts fetches and can
 * be switched to fail (HTTP 503) or to hang (never answer) to simulate an unavailable identity provider.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { JSONWebKeySet } from "jose";

/** How the server answers JWKS requests. */
export type JwksServerMode = "serve" | "fail" | "hang";

/** A running JWKS server. */
export interface JwksServer {
  /** URL of the key set. */
  readonly url: URL;
  /** Number of requests received so far. */
  fetches(): number;
  /** Replaces the published key set (key rotation). */
  publish(jwks: JSONWebKeySet): void;
  /** Changes how requests are answered. */
  setMode(mode: JwksServerMode): void;
  /** Stops the server, dropping open connections (including hung requests). */
  close(): Promise<void>;
}

/** Starts a JWKS server on 127.0.0.1, port 0. */
export async function startJwksServer(initial: JSONWebKeySet): Promise<JwksServer> {
  let jwks = initial;
  let mode: JwksServerMode = "serve";
  let fetches = 0;
  const server = createServer((request, response) => {
    fetches++;
    if (mode === "hang") return;
    if (mode === "fail") {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    fetches: () => fetches,
    publish: (next) => {
      jwks = next;
    },
    setMode: (next) => {
      mode = next;
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
