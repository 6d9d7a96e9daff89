/**
 * One HTTP exchange with an OPA server over a keep-alive agent: the OPA client's only network code. It knows
 * nothing of retries or policy; it sends a request, bounded by an AbortSignal and a response size limit, and
 * returns the status and body text.
 */
import http from "node:http";
import https from "node:https";

/** The status and body of one completed HTTP exchange. */
export interface HttpExchange {
  /** HTTP status code. */
  readonly status: number;
  /** Response body as UTF-8 text. */
  readonly body: string;
}

/** The response body exceeded the transport's size limit. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
}

/** The connection closed before the response body was complete. */
export class IncompleteResponseError extends Error {
  override readonly name = "IncompleteResponseError";
}

/** Options of the transport. */
export interface HttpTransportOptions {
  /** Base URL of the server; request paths resolve against it (a path prefix in it is kept). */
  readonly baseUrl: URL;
  /** Largest response body accepted, in bytes. */
  readonly maxResponseBytes: number;
}

/** A keep-alive HTTP transport to one server. */
export interface HttpTransport {
  /** Sends one request; rejects on network errors, abort (with the signal's reason) or an oversized body. */
  exchange(method: "GET" | "POST", path: string, body: string | undefined, signal: AbortSignal): Promise<HttpExchange>;
  /** Closes pooled connections; later exchanges open new ones. */
  close(): void;
}

/** Creates a transport with its own keep-alive connection pool. */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const secure = options.baseUrl.protocol === "https:";
  const client = secure ? https : http;
  // Keep-alive so consecutive decisions reuse a warm connection instead of paying a TCP handshake each.
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const base = new URL(options.baseUrl.href.endsWith("/") ? options.baseUrl.href : `${options.baseUrl.href}/`);
  // The client uses two fixed paths; resolve each once rather than parsing a URL per request.
  const resolved = new Map<string, URL>();
  const urlFor = (path: string) => {
    let url = resolved.get(path);
    if (url === undefined) {
      url = new URL(path.replace(/^\//, ""), base);
      resolved.set(path, url);
    }
    return url;
  };

  return {
    exchange(method, path, body, signal) {
      return new Promise<HttpExchange>((resolve, reject) => {
        const headers: http.OutgoingHttpHeaders = { accept: "application/json" };
        if (body !== undefined) {
          headers["content-type"] = "application/json";
          headers["content-length"] = Buffer.byteLength(body);
        }
        const request = client.request(urlFor(path), { method, agent, signal, headers });
        request.on("error", reject);
        request.on("response", (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let complete = false;
          response.on("data", (chunk: Buffer) => {
            if (size > options.maxResponseBytes) return;
            size += chunk.length;
            if (size > options.maxResponseBytes) {
              reject(new ResponseTooLargeError("response body exceeds the size limit"));
              // Destroyed without an error object: the rejection above reports it, and an error passed to
              // destroy() once the response has begun resurfaces as an uncaught exception.
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          response.on("end", () => {
            complete = true;
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
          response.on("error", reject);
          response.on("close", () => {
            if (!complete) reject(signal.aborted ? signal.reason : new IncompleteResponseError("response ended early"));
          });
        });
        request.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
