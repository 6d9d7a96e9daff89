/**
 * An HTTP server speaking the subset of OPA's REST Data API that PECR uses, backed by any PolicyEngine (the
 * embedded Rego evaluator for real use). It lets the `opa` engine run without an OPA binary (`pecr opa-serve`)
 * and gives the OPA client's tests and benchmark a real server to talk to.
 *
 * Routes:
 * - `POST /v1/data/pecr/authz/decision` with `{"input": {…}}` → 200 `{"result": decision}`;
 * - `POST /v1/data/<any other path>` → 200 `{}`, OPA's answer for an undefined document (no `result`);
 * - `GET /health` → 200 `{}` when the engine is ready, else 500;
 * - anything else → 404 (unknown route) or 405 (wrong method), with OPA's `{code, message}` error body.
 * A body that is not JSON, or whose `input` is not an object, is a 400 `invalid_parameter`; an engine failure
 * is a 500 `internal_error`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PolicyDecisionResult, PolicyEngine, PolicyInput } from "./policy-engine.js";

/** The decision document's path under `/v1/data/`. */
const DECISION_DOCUMENT = "pecr/authz/decision";
const DATA_PREFIX = "/v1/data";
/** Request bodies above this size are refused; a policy input is a few hundred bytes. */
const MAX_REQUEST_BYTES = 1024 * 1024;

/** Options of `startOpaCompatibleServer`. */
export interface OpaCompatibleServerOptions {
  /** The engine that answers `data.pecr.authz.decision`. */
  readonly engine: PolicyEngine;
  /** Interface to bind, e.g. `127.0.0.1`. */
  readonly host: string;
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
}

/** A running server. */
export interface OpaCompatibleServer {
  /** Base URL, e.g. `http://127.0.0.1:8181` (what `PECR_OPA_URL` should be set to). */
  readonly url: string;
  /** Stops accepting, closes every connection (including idle keep-alive ones) and resolves when closed. */
  close(): Promise<void>;
}

/** Renders a parsed decision back into the JSON document the policy produces. */
export function decisionDocument(decision: PolicyDecisionResult): Record<string, unknown> {
  return {
    allow: decision.allow,
    cacheable: decision.cacheable,
    reason: decision.reason,
    redaction: decision.redaction === undefined ? {} : { [decision.redaction.kind]: [...decision.redaction.fields] },
  };
}

/** Starts the server and resolves once it listens. */
export async function startOpaCompatibleServer(options: OpaCompatibleServerOptions): Promise<OpaCompatibleServer> {
  const server = http.createServer((request, response) => {
    handle(options.engine, request, response).catch(() => {
      if (!response.headersSent) send(response, 500, { code: "internal_error", message: "internal error" });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

async function handle(engine: PolicyEngine, request: http.IncomingMessage, response: http.ServerResponse) {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  if (path === "/health") {
    if (request.method !== "GET") return send(response, 405, methodNotAllowed());
    request.resume();
    const ready = await engine.ready().catch(() => false);
    return ready ? send(response, 200, {}) : send(response, 500, { error: "policy engine not ready" });
  }
  if (path !== DATA_PREFIX && !path.startsWith(`${DATA_PREFIX}/`)) {
    request.resume();
    return send(response, 404, { code: "not_found", message: "unknown route" });
  }
  if (request.method !== "POST") {
    request.resume();
    return send(response, 405, methodNotAllowed());
  }
  const text = await readBody(request);
  if (text === undefined) return send(response, 413, invalidParameter("request body too large"));
  let body: unknown;
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return send(response, 400, invalidParameter("body must be a JSON object"));
  }
  if (!isObject(body)) return send(response, 400, invalidParameter("body must be a JSON object"));
  const document = path.slice(DATA_PREFIX.length).replace(/^\/+|\/+$/g, "");
  if (document !== DECISION_DOCUMENT) return send(response, 200, {});
  if (!isObject(body.input)) return send(response, 400, invalidParameter("input must be a JSON object"));

  // A client that hangs up stops the evaluation it was waiting for.
  const abandoned = new AbortController();
  response.once("close", () => {
    // Only a hang-up before the answer aborts; aborting after every response would cost an AbortError each.
    if (!response.writableFinished) abandoned.abort();
  });
  try {
    // Like OPA, the server evaluates whatever input document the client sent; the cast is not a validation.
    const decision = await engine.decide(body.input as unknown as PolicyInput, { signal: abandoned.signal });
    return send(response, 200, { result: decisionDocument(decision) });
  } catch {
    return send(response, 500, { code: "internal_error", message: "policy evaluation failed" });
  }
}

function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalidParameter(message: string) {
  return { code: "invalid_parameter", message };
}

function methodNotAllowed() {
  return { code: "method_not_allowed", message: "method not allowed" };
}
