/**
 * The plain HTTP routes served next to the RPCs (as connect-node's `fallback`): `GET /healthz` (liveness),
 * `GET /readyz` (readiness, reference §2.4) and `GET /metrics` (Prometheus text, optionally behind the same
 * authentication as the RPCs). Anything else is 404.
 */
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "pino";
import { PecrError } from "#core/errors/pecr-error.js";
import type { Authenticate } from "#core/interceptors/authentication.js";
import type { AppMetrics } from "#core/observability/metrics.js";
import {
  REQUEST_ID_HEADER,
  TRACE_ID_HEADER,
  resolveRequestId,
  resolveTraceId,
} from "#core/observability/request-ids.js";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";
import { type ReadinessCheck, evaluateReadiness } from "./readiness.js";

/** Options of `createHttpRoutes`. */
export interface HttpRoutesOptions {
  /** The service's readiness checks. */
  readonly readiness?: ReadinessCheck;
  /** Bound on one readiness evaluation. */
  readonly readinessTimeoutMs?: number;
  /** The registry `/metrics` renders. */
  readonly metrics: AppMetrics;
  /** When set, `/metrics` requires a principal from this authenticator. */
  readonly metricsAuthenticate?: Authenticate;
  /** Aborted when the server starts draining; `/readyz` then answers not ready. */
  readonly draining: AbortSignal;
  /** Logger for failures behind these routes. */
  readonly logger: Logger;
}

/** The Fetch `Headers` of a Node request (HTTP/2 pseudo-headers left out). */
export function headersOf(req: NodeRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

function send(res: NodeResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(body);
}

function sendJson(res: NodeResponse, status: number, value: unknown): void {
  send(res, status, "application/json", JSON.stringify(value));
}

/** Creates the fallback handler serving the probe and metrics routes. */
export function createHttpRoutes(options: HttpRoutesOptions): NodeHandler {
  const readyz = async (res: NodeResponse, logger: Logger) => {
    if (options.draining.aborted) {
      sendJson(res, 503, { status: "not_ready", checks: {} });
      return;
    }
    const report = await evaluateReadiness(options.readiness, options.readinessTimeoutMs);
    if (report.error !== undefined) logger.warn({ err: report.error }, "readiness checks failed");
    sendJson(res, report.ready ? 200 : 503, { status: report.ready ? "ready" : "not_ready", checks: report.checks });
  };

  const metrics = async (headers: Headers, res: NodeResponse) => {
    if (options.metricsAuthenticate) {
      try {
        await options.metricsAuthenticate({ header: headers, service: "", method: "", procedure: "/metrics" });
      } catch (error) {
        if (error instanceof PecrError) {
          sendJson(res, codeToHttpStatus(error.status), { code: error.code, message: error.message });
          return;
        }
        throw error;
      }
    }
    send(res, 200, options.metrics.registry.contentType, await options.metrics.render());
  };

  return (req: NodeRequest, res: NodeResponse) => {
    // Plain routes get request and trace ids like RPCs do, so their log lines can be correlated too.
    const headers = headersOf(req);
    const requestId = resolveRequestId(headers.get(REQUEST_ID_HEADER));
    const traceId = resolveTraceId(headers.get(TRACE_ID_HEADER));
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.setHeader(TRACE_ID_HEADER, traceId);
    const logger = options.logger.child({ trace_id: traceId, request_id: requestId });
    const path = (req.url ?? "").split("?", 1)[0];
    const route =
      path === "/healthz" ? () => send(res, 200, "text/plain; charset=utf-8", "ok")
      : path === "/readyz" ? () => readyz(res, logger)
      : path === "/metrics" ? () => metrics(headers, res)
      : undefined;
    if (!route) {
      send(res, 404, "text/plain; charset=utf-8", "not found");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(res, 405, "text/plain; charset=utf-8", "method not allowed");
      return;
    }
    Promise.resolve()
      .then(route)
      .catch((error: unknown) => {
        logger.error({ err: error, path }, "http route failed");
        if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error");
        else res.end();
      });
  };
}
