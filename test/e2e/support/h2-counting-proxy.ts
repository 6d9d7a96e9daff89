/**
 * An HTTP/2 cleartext proxy on 127.0.0.1 port 0 in front of a gateway, counting the requests in flight through it
 * (from a request's arrival to the end of its response) and their peak. A controller pointed at it
 * (`PECR_GATEWAY_URL`) shows how many operator calls it really has open at the gateway at once. Requests are
 * forwarded as they are, over one upstream connection, as the controller's own would be; the controller speaks
 * Connect (no trailers), which is all this forwards.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";

/** A running proxy. */
export interface H2CountingProxy {
  /** Its base URL (point the controller here). */
  readonly url: string;
  /** Counted requests in flight now. */
  readonly inFlight: number;
  /** Most counted requests in flight at once so far. */
  readonly peak: number;
  /** Counted requests seen so far. */
  readonly total: number;
  /** Resolves once `count` counted requests are in flight at once (at once if they already are). */
  whenInFlight(count: number): Promise<void>;
  /** Stops the proxy. */
  close(): Promise<void>;
}

/** Headers HTTP/2 forbids a proxy to forward as they are. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "http2-settings"]);

function forwardable(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** Starts a proxy to `target` counting the requests whose path `counted` accepts. */
export async function startH2CountingProxy(target: string, counted: (path: string) => boolean): Promise<H2CountingProxy> {
  const upstream = http2.connect(target);
  upstream.on("error", () => undefined);
  let inFlight = 0;
  let peak = 0;
  let total = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const changed = () => {
    for (const waiter of [...waiters]) {
      if (inFlight >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"] ?? "");
    let open = counted(path);
    if (open) {
      total++;
      inFlight++;
      peak = Math.max(peak, inFlight);
      changed();
    }
    // Uncounts before the response's last bytes are written, so a client that starts its next call as soon as
    // it has this answer never finds this one still counted.
    const done = () => {
      if (!open) return;
      open = false;
      inFlight--;
    };
    stream.on("error", () => undefined);
    stream.on("close", done);
    const request = upstream.request(forwardable(headers));
    request.on("error", () => {
      done();
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    request.on("response", (responseHeaders) => stream.respond(forwardable(responseHeaders)));
    request.on("end", done);
    request.pipe(stream);
    stream.pipe(request);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    get total() {
      return total;
    },
    whenInFlight(count) {
      return new Promise<void>((resolve) => {
        waiters.push({ count, resolve });
        changed();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        upstream.destroy();
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
