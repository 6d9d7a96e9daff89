/**
 * The tiny service the bootstrap tests serve: `pecr.testing.v1.EchoService`, with request texts that make it
 * fail in chosen ways, and a hook that holds a stream between messages (for the shutdown tests). Also starts a
 * server around it with a log sink, and records what was logged.
 */
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { Writable } from "node:stream";
import { errors } from "#core/errors/pecr-error.js";
import { kPrincipal, kTransport } from "#core/interceptors/context-values.js";
import { createLogger } from "#core/observability/logger.js";
import { type AppMetrics, createAppMetrics } from "#core/observability/metrics.js";
import { type RunningServer, type ServerOptions, startServer } from "#core/server/server.js";
import { EchoService, type EchoRequest, type EchoStreamRequest } from "#gen/pecr/testing/v1/echo_pb.js";

/** Request text that makes Echo throw a plain Error whose message must never reach the client. */
export const PLAIN_ERROR_TEXT = "throw-plain-error";
/** The message of that plain Error. */
export const PLAIN_ERROR_SECRET = "db password is hunter2";
/** Request text that makes Echo throw `errors.budgetExceeded()`. */
export const PECR_ERROR_TEXT = "throw-pecr-error";
/** Request text that makes Echo answer with the caller's principal id. */
export const WHOAMI_TEXT = "whoami";
/** Request text that makes Echo answer with the request's TransportInfo as JSON. */
export const TRANSPORT_TEXT = "transport";

/** Hooks a test passes to the echo implementation. */
export interface EchoHooks {
  /** Awaited before each streamed message (1-based index). */
  readonly beforeStreamMessage?: (index: number, ctx: HandlerContext) => Promise<void>;
}

/** Routes registering the echo service. */
export function echoRoutes(hooks: EchoHooks = {}): (router: ConnectRouter) => void {
  return (router) => {
    router.service(EchoService, {
      echo(req: EchoRequest, ctx: HandlerContext) {
        if (req.text === PLAIN_ERROR_TEXT) throw new Error(PLAIN_ERROR_SECRET);
        if (req.text === PECR_ERROR_TEXT) throw errors.budgetExceeded();
        if (req.text === WHOAMI_TEXT) return { text: ctx.values.get(kPrincipal)?.principalId ?? "(none)" };
        if (req.text === TRANSPORT_TEXT) return { text: JSON.stringify(ctx.values.get(kTransport)) };
        return { text: req.text };
      },
      async *echoStream(req: EchoStreamRequest, ctx: HandlerContext) {
        for (let index = 1; index <= Math.min(req.repeat, 100); index++) {
          await hooks.beforeStreamMessage?.(index, ctx);
          yield { text: req.text, index };
        }
      },
    });
  };
}

/** Log lines written by a server, parsed. */
export interface LogSink {
  /** Every line so far. */
  readonly lines: Record<string, unknown>[];
  /** Every line as written (JSON.parse hides a repeated key). */
  readonly raw: string[];
}

/** A started echo server plus its log sink and metrics. */
export interface EchoServer {
  /** The running server. */
  readonly server: RunningServer;
  /** Everything it logged. */
  readonly logs: LogSink;
  /** Its metrics. */
  readonly metrics: AppMetrics;
}

/** Starts an echo server on 127.0.0.1 port 0; `overrides` replace any option. */
export async function startEchoServer(
  overrides: Partial<ServerOptions> = {},
  hooks: EchoHooks = {},
): Promise<EchoServer> {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  const metrics = overrides.metrics ?? createAppMetrics();
  const server = await startServer({
    service: "echo",
    routes: echoRoutes(hooks),
    logger: createLogger({ service: "echo", level: "debug", destination }),
    metrics,
    port: 0,
    ...overrides,
  });
  return { server, logs: { lines, raw }, metrics };
}
