/**
 * One listening socket for every protocol. Cleartext: Node's h2c server refuses HTTP/1.1 and the HTTP/1.1
 * server cannot speak HTTP/2, so this front peeks at the first bytes of each connection: the HTTP/2 client
 * preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, RFC 9113 §3.4) sends it to an `http2` server (h2c with prior
 * knowledge), anything else to an `http` server; the peeked bytes are put back first. With TLS, ALPN chooses
 * (`h2` or `http/1.1`) inside one `http2.createSecureServer({ allowHTTP1: true })`.
 *
 * It also keeps track of connections, sessions and in-flight requests so the server can drain gracefully.
 * Written here rather than taken from a polyglot-server package because the draining needs exactly this
 * bookkeeping and the sniffing itself is a few lines.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import { createServer as createNetServer } from "node:net";
import type { Logger } from "pino";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";

/** The HTTP/2 client connection preface. */
export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** TLS material, already loaded (PEM). */
export interface FrontTlsOptions {
  /** Server certificate chain. */
  readonly cert: string | Buffer;
  /** Server private key. */
  readonly key: string | Buffer;
  /** CA certificates that sign client certificates (mTLS). */
  readonly ca?: string | Buffer;
  /** Require a client certificate signed by `ca` (mTLS); the handshake fails without one. */
  readonly requestCert?: boolean;
}

/** Options of `createProtocolFront`. */
export interface ProtocolFrontOptions {
  /** Handles every HTTP request (RPC or plain) on every protocol. */
  readonly handler: NodeHandler;
  /** Serve TLS (ALPN h2 + http/1.1) instead of cleartext. */
  readonly tls?: FrontTlsOptions;
  /** A cleartext connection that has not sent enough bytes to be classified within this time is closed. */
  readonly sniffTimeoutMs?: number;
  /** Logger for connection-level events (errors at debug level: clients going away is normal). */
  readonly logger: Logger;
}

/** The front: its listening server, the servers behind it, and draining. */
export interface ProtocolFront {
  /** The listening server (a plain `net.Server`, or the TLS HTTP/2 server). */
  readonly listener: NetServer;
  /** The HTTP/1.1 server behind a cleartext front. */
  readonly http1: http.Server | undefined;
  /** The h2c server behind a cleartext front. */
  readonly http2: http2.Http2Server | undefined;
  /** The TLS server (HTTP/2 and HTTP/1.1 by ALPN). */
  readonly secure: http2.Http2SecureServer | undefined;
  /** Starts listening; resolves with the bound address. */
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Requests currently being handled. */
  activeRequests(): number;
  /**
   * Stops accepting connections, sends GOAWAY on HTTP/2 sessions, closes idle HTTP/1.1 connections and lets
   * in-flight requests finish. After `graceMs`, calls `onGraceExpired` (which cancels the handlers), gives them
   * up to one more second to answer, and destroys what is left. Resolves when every connection is closed.
   */
  drain(graceMs: number, onGraceExpired: () => void): Promise<void>;
}

/** Creates the protocol front for `options.handler`. */
export function createProtocolFront(options: ProtocolFrontOptions): ProtocolFront {
  const sniffTimeoutMs = options.sniffTimeoutMs ?? 10_000;
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.Http2Session>();
  /** Cleartext connections whose protocol is not known yet. */
  const sniffing = new Set<Socket>();
  /** HTTP/1.1 connections and how many requests each has in flight. */
  const http1Connections = new Map<Socket, number>();
  let active = 0;
  let draining = false;
  let onIdle: (() => void) | undefined;
  // Connection-level lines belong to no request; they carry fixed ids so every line still has both fields.
  const logger = options.logger.child({ trace_id: "connection", request_id: "connection" });

  const trackHttp1 = (socket: Socket) => {
    http1Connections.set(socket, 0);
    socket.once("close", () => http1Connections.delete(socket));
  };

  const trackRequest = (req: NodeRequest, res: NodeResponse) => {
    active++;
    const http1Socket = req.httpVersionMajor === 1 ? (req.socket as Socket) : undefined;
    if (http1Socket) {
      http1Connections.set(http1Socket, (http1Connections.get(http1Socket) ?? 0) + 1);
      // While draining, keep-alive connections get no further requests.
      if (draining) res.setHeader("connection", "close");
    }
    if (req.httpVersionMajor === 2) {
      const stream = (req as http2.Http2ServerRequest).stream;
      stream.once("finish", () => {
        if (!req.readableEnded) releaseUnreadRequest(stream);
      });
    }
    res.once("close", () => {
      active--;
      if (http1Socket) {
        const left = (http1Connections.get(http1Socket) ?? 1) - 1;
        if (http1Connections.has(http1Socket)) http1Connections.set(http1Socket, left);
        if (draining && left === 0) http1Socket.end();
      }
      if (active === 0) onIdle?.();
    });
  };

  const trackSession = (session: http2.Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", (error) => logger.debug({ err: error }, "http2 session error"));
    if (draining) session.close();
  };

  let listener: NetServer;
  let http1Server: http.Server | undefined;
  let http2Server: http2.Http2Server | undefined;
  let secureServer: http2.Http2SecureServer | undefined;

  if (options.tls) {
    const secure = http2.createSecureServer({
      cert: options.tls.cert,
      key: options.tls.key,
      ...(options.tls.ca ? { ca: options.tls.ca } : {}),
      requestCert: options.tls.requestCert ?? false,
      rejectUnauthorized: options.tls.requestCert ?? false,
      allowHTTP1: true,
    });
    secure.on("request", trackRequest);
    secure.on("request", options.handler);
    secure.on("session", trackSession);
    secure.on("secureConnection", (socket) => {
      if (socket.alpnProtocol !== "h2") trackHttp1(socket);
    });
    secure.on("tlsClientError", (error) => logger.debug({ err: error }, "tls handshake failed"));
    secure.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    secureServer = secure;
    listener = secure;
  } else {
    const h1 = http.createServer();
    h1.on("request", trackRequest);
    h1.on("request", options.handler);
    const h2 = http2.createServer();
    h2.on("request", trackRequest);
    h2.on("request", options.handler);
    h2.on("session", trackSession);
    h2.on("sessionError", (error) => logger.debug({ err: error }, "http2 session error"));
    http1Server = h1;
    http2Server = h2;
    listener = createNetServer((socket) => {
      sockets.add(socket);
      sniffing.add(socket);
      socket.once("close", () => {
        sockets.delete(socket);
        sniffing.delete(socket);
      });
      sniff(socket, sniffTimeoutMs, (isHttp2) => {
        sniffing.delete(socket);
        if (draining) {
          socket.destroy();
          return;
        }
        if (isHttp2) {
          h2.emit("connection", socket);
        } else {
          trackHttp1(socket);
          h1.emit("connection", socket);
        }
      });
    });
  }

  return {
    listener,
    http1: http1Server,
    http2: http2Server,
    secure: secureServer,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        listener.once("error", reject);
        listener.listen({ host, port }, () => {
          listener.off("error", reject);
          // Accept failures (e.g. out of file descriptors) must not crash the process.
          listener.on("error", (error) => logger.error({ err: error }, "listener error"));
          resolve(listener.address() as AddressInfo);
        });
      });
    },
    activeRequests: () => active,
    async drain(graceMs, onGraceExpired) {
      draining = true;
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const socket of sniffing) socket.destroy();
      for (const session of sessions) session.close();
      for (const [socket, requests] of http1Connections) if (requests === 0) socket.destroy();
      const idle = new Promise<void>((resolve) => {
        if (active === 0) resolve();
        else onIdle = resolve;
      });
      // Once no request is in flight, what is left are idle keep-alive connections and sessions that are
      // closing after GOAWAY; both go now.
      const finished = idle.then(() => {
        for (const socket of http1Connections.keys()) socket.destroy();
        return closed;
      });
      const done = finished.then(() => "closed" as const);
      if ((await Promise.race([done, delay(graceMs)])) === "closed") return;
      // Cancelled handlers get a short moment to send their error (e.g. Unavailable) before the connections go.
      onGraceExpired();
      await Promise.race([done, delay(Math.min(CANCEL_WINDOW_MS, graceMs))]);
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** After the grace period, how long cancelled handlers have to answer before connections are destroyed. */
const CANCEL_WINDOW_MS = 1000;

/** Resolves with "elapsed" after `ms`, without keeping the process alive. */
function delay(ms: number): Promise<"elapsed"> {
  return new Promise((resolve) => setTimeout(() => resolve("elapsed"), ms).unref());
}

/** How often, and how many times, to look whether a finished response has left the server. */
const RELEASE_POLL_MS = 50;
const RELEASE_POLL_LIMIT = 200;

/**
 * A handler may answer without reading the whole request (e.g. a message over the read limit). The client then
 * stalls on flow control and the stream would stay open as long as the connection does, holding up a graceful
 * shutdown. RFC 9113 §8.1 lets a server that has sent a complete response ask the client to stop sending with
 * RST_STREAM(NO_ERROR). The reset must not overtake the response's last frames (gRPC trailers are written after
 * the stream's `finish`), and Node emits no event when END_STREAM has gone out, so this looks at the stream's
 * state every few milliseconds (for at most 10 s) until its local side is closed.
 */
function releaseUnreadRequest(stream: http2.ServerHttp2Stream, attempt = 0): void {
  if (stream.closed || stream.destroyed) return;
  if (stream.state.localClose === 1) {
    // destroy() rather than close(): close(NO_ERROR) waits for the unread request to be consumed before the
    // stream goes away, which is the very thing that does not happen here. Without an error, destroy() resets
    // the stream with NO_ERROR.
    stream.destroy();
    return;
  }
  if (attempt < RELEASE_POLL_LIMIT) {
    setTimeout(() => releaseUnreadRequest(stream, attempt + 1), RELEASE_POLL_MS).unref();
  }
}

/**
 * Reads until the first bytes either match the HTTP/2 preface in full or diverge from it, then puts them back
 * and reports the protocol. Connections that close or stay silent before that are dropped.
 */
function sniff(socket: Socket, timeoutMs: number, decide: (isHttp2: boolean) => void): void {
  let peeked = Buffer.alloc(0);
  const cleanup = () => {
    socket.off("readable", onReadable);
    socket.off("end", onEnd);
    socket.setTimeout(0);
  };
  const onEnd = () => {
    cleanup();
    socket.destroy();
  };
  const onReadable = () => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) peeked = Buffer.concat([peeked, chunk]);
    const length = Math.min(peeked.length, HTTP2_PREFACE.length);
    const matches = peeked.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length));
    if (matches && peeked.length < HTTP2_PREFACE.length) return;
    cleanup();
    socket.unshift(peeked);
    decide(matches);
  };
  socket.on("readable", onReadable);
  socket.once("end", onEnd);
  socket.on("error", () => socket.destroy());
  socket.setTimeout(timeoutMs, () => socket.destroy());
}
