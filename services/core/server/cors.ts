/**
 * CORS for Connect-Web and gRPC-Web browsers: only configured origins (or any origin when `*` is configured)
 * get CORS headers; preflights are answered here, before routing, because connect-node's router answers
 * OPTIONS on an RPC path with 405. Written here rather than taken from a middleware package because it is a
 * handful of headers around Connect's own lists (`cors` from @connectrpc/connect) and must run in front of a
 * plain Node handler shared by `http` and `http2`.
 */
import { cors as connectCors } from "@connectrpc/connect";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";

/** Request headers PECR clients send besides Connect's own. */
export const PECR_REQUEST_HEADERS: readonly string[] = [
  "authorization",
  "x-pecr-session-token",
  "x-pecr-request-id",
  "x-pecr-trace-id",
  "x-pecr-principal-id",
  "x-pecr-local-auth-secret",
];

/** Response headers a browser client may read besides Connect's own. */
export const PECR_RESPONSE_HEADERS: readonly string[] = [
  "x-pecr-session-token",
  "x-pecr-request-id",
  "x-pecr-trace-id",
];

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/** The CORS response headers for each case. */
export interface CorsHeaders {
  /** `Access-Control-Allow-Methods`. */
  readonly allowMethods: string;
  /** `Access-Control-Allow-Headers`. */
  readonly allowHeaders: string;
  /** `Access-Control-Expose-Headers`. */
  readonly exposeHeaders: string;
}

/** The header lists: Connect's plus PECR's. */
export function corsHeaderLists(): CorsHeaders {
  return {
    allowMethods: connectCors.allowedMethods.join(", "),
    allowHeaders: [...connectCors.allowedHeaders, ...PECR_REQUEST_HEADERS].join(", "),
    exposeHeaders: [...connectCors.exposedHeaders, ...PECR_RESPONSE_HEADERS].join(", "),
  };
}

function originOf(req: NodeRequest): string | undefined {
  const origin = req.headers.origin;
  return typeof origin === "string" && origin !== "" ? origin : undefined;
}

function isPreflight(req: NodeRequest): boolean {
  return req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
}

/**
 * Wraps `handler` with CORS for `allowedOrigins` (exact origins such as `https://console.example`, or `*`).
 * With no origins configured, no CORS headers are ever sent and preflights are refused.
 */
export function withCors(allowedOrigins: readonly string[], handler: NodeHandler): NodeHandler {
  const anyOrigin = allowedOrigins.includes("*");
  const origins = new Set(allowedOrigins);
  const lists = corsHeaderLists();
  return (req: NodeRequest, res: NodeResponse) => {
    const origin = originOf(req);
    const allowed = origin !== undefined && (anyOrigin || origins.has(origin));
    if (origin !== undefined && !anyOrigin) res.setHeader("vary", "Origin");
    if (isPreflight(req)) {
      if (!allowed) {
        res.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
        res.end("origin not allowed");
        return;
      }
      res.writeHead(204, {
        "access-control-allow-origin": anyOrigin ? "*" : origin,
        "access-control-allow-methods": lists.allowMethods,
        "access-control-allow-headers": lists.allowHeaders,
        "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
      });
      res.end();
      return;
    }
    if (allowed) {
      res.setHeader("access-control-allow-origin", anyOrigin ? "*" : origin);
      res.setHeader("access-control-expose-headers", lists.exposeHeaders);
    }
    handler(req, res);
  };
}
