/**
 * Misbehaving OPA stand-ins for the OPA client's fault tests: real servers on port 0 that refuse, hang, fail
 * or answer garbage, and count what reaches them.
 *
 * Each server's URL carries a random path token, and only traffic under that token is counted: on a shared
 * machine another process may still be talking to a port that was recycled for one of these servers, and its
 * requests must not be mistaken for the client's retries.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";

/** A running fault server. */
export interface FaultServer {
  /** Base URL to give the client (it includes the server's path token). */
  readonly url: string;
  /** Requests (HTTP) or connections that sent a request (TCP) received under the token so far. */
  readonly hits: number;
  /** `performance.now()` at each hit, in order. */
  readonly arrivals: readonly number[];
  /** Distinct TCP connections that carried those hits (fewer than hits when keep-alive reuses them). */
  readonly connections: number;
  /** Resolves once at least `count` hits have arrived. */
  waitForHits(count: number): Promise<void>;
  /** Closes the server and every connection it holds. */
  close(): Promise<void>;
}

/** Answers one HTTP request; `index` counts from 0, `body` is the request body read in full. */
export type Responder = (
  request: http.IncomingMessage,
  response: http.ServerResponse,
  index: number,
  body: string,
) => void;

/** Records hits and wakes whoever waits for a count of them. */
function createHitLog() {
  const arrivals: number[] = [];
  const sockets = new WeakSet<net.Socket>();
  let connections = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    arrivals,
    connections: () => connections,
    record(socket: net.Socket) {
      arrivals.push(performance.now());
      if (!sockets.has(socket)) {
        sockets.add(socket);
        connections += 1;
      }
      for (const waiter of waiters.filter((w) => w.count <= arrivals.length)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    waitForHits(count: number) {
      return count <= arrivals.length
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** The FaultServer view of a server at `url` whose hits `log` records. */
function faultServer(url: string, log: ReturnType<typeof createHitLog>, close: () => Promise<void>): FaultServer {
  return {
    url,
    get hits() {
      return log.arrivals.length;
    },
    get connections() {
      return log.connections();
    },
    arrivals: log.arrivals,
    waitForHits: log.waitForHits,
    close,
  };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A URL on which nothing listens: a port that was bound and released, so connections are refused. */
export async function refusingUrl(): Promise<string> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/${randomUUID()}`;
}

/** A TCP server that accepts connections and never answers (each connection that sends a request is a hit). */
export async function startSilentServer(): Promise<FaultServer> {
  const token = `/${randomUUID()}/`;
  const sockets = new Set<net.Socket>();
  const log = createHitLog();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      if (head.length > 4096) return;
      const before = head.includes(token);
      head += chunk.toString("latin1");
      if (!before && head.includes(token)) log.record(socket);
    });
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  });
  const port = await listen(server);
  return faultServer(`http://127.0.0.1:${port}${token.slice(0, -1)}`, log, () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  );
}

/**
 * An HTTP server whose every request under its token is answered by `respond`, with the token stripped from
 * `request.url`; anything else gets a 404 and is not counted.
 */
export async function startHttpServer(respond: Responder): Promise<FaultServer> {
  const token = `/${randomUUID()}`;
  const log = createHitLog();
  const server = http.createServer((request, response) => {
    // Read the body before answering so keep-alive connections stay reusable.
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (!request.url?.startsWith(`${token}/`)) return reply(response, 404, { code: "not_found", message: "stray" });
      const index = log.arrivals.length;
      log.record(request.socket);
      request.url = request.url.slice(token.length);
      respond(request, response, index, Buffer.concat(chunks).toString("utf8"));
    });
  });
  const port = await listen(server);
  return faultServer(`http://127.0.0.1:${port}${token}`, log, () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  );
}

/** Sends a status with a JSON (or raw text) body. */
export function reply(response: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** Ready-made responders for the fault kinds. */
export const responders = {
  /** 500 with OPA's error shape. */
  serverError: ((_request, response) => reply(response, 500, { code: "internal_error", message: "boom" })) as Responder,
  /** 400, a client error that must not be retried. */
  badRequest: ((_request, response) => reply(response, 400, { code: "invalid_parameter", message: "bad" })) as Responder,
  /** 200 with a body that is not JSON. */
  invalidJson: ((_request, response) => reply(response, 200, "{not json")) as Responder,
  /** 200 `{}`: OPA's undefined document, no `result`. */
  noResult: ((_request, response) => reply(response, 200, {})) as Responder,
  /** 200 with a decision whose redaction is malformed. */
  malformedRedaction: ((_request, response) =>
    reply(response, 200, { result: { allow: true, cacheable: true, reason: "x", redaction: "deny everything" } })) as Responder,
  /** Answers a valid allow after `delayMs` (past the client's timeout when slow enough). */
  slow(delayMs: number): Responder {
    return (_request, response) => {
      const timer = setTimeout(() => reply(response, 200, { result: { allow: true } }), delayMs);
      response.on("close", () => clearTimeout(timer));
    };
  },
} as const;
