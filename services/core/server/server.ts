/**
 * The server bootstrap both services use: one port serving Connect, gRPC and gRPC-Web over h2c and HTTP/1.1
 * (or TLS with ALPN), the interceptor chain, `grpc.health.v1.Health`, gRPC reflection v1 and v1alpha, the plain
 * `/healthz` `/readyz` `/metrics` routes, CORS, a request size limit, and graceful shutdown through one signal.
 */
import type { Validator } from "@bufbuild/protovalidate";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type Interceptor,
  createContextValues,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { setMaxListeners } from "node:events";
import type { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import { StartupError } from "#core/config/startup-error.js";
import { Health } from "#gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "#gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "#gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { Authenticate } from "#core/interceptors/authentication.js";
import { kTransport } from "#core/interceptors/context-values.js";
import { createInterceptorChain } from "#core/interceptors/interceptor-chain.js";
import { namedLogger } from "#core/observability/logger.js";
import type { AppMetrics } from "#core/observability/metrics.js";
import { withCors } from "./cors.js";
import { createDescriptorIndex } from "./descriptor-index.js";
import { registerHealthService } from "./health-service.js";
import { createHttpRoutes } from "./http-routes.js";
import type { NodeRequest } from "./node-handler.js";
import { type ProtocolFront, createProtocolFront } from "./protocol-front.js";
import { type ReadinessCheck, evaluateReadiness } from "./readiness.js";
import { registerReflectionServices } from "./reflection-service.js";
import { type ServerTlsOptions, loadTlsOptions } from "./tls-options.js";

/** Default limit on one request message: 4 MiB. */
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;
/** Default bound on graceful shutdown before in-flight RPCs are cancelled. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** The interceptor chain's pluggable parts. */
export interface ServerInterceptorOptions {
  /** Authenticator for non-public RPCs; without one, RPCs run unauthenticated. */
  readonly authenticate?: Authenticate;
  /** More public RPCs (health and reflection always are), by service name or `/service/Method`. */
  readonly publicProcedures?: readonly string[];
  /** protovalidate validator; default `createValidator()`. */
  readonly validator?: Validator;
  /** Service-specific interceptors, run after authentication and before validation (rate limits, metrics). */
  readonly inner?: readonly Interceptor[];
}

/** Options of `startServer`. */
export interface ServerOptions {
  /** Service name for logs (e.g. `gateway`). */
  readonly service: string;
  /** Registers the service's RPCs (`router.service(XService, impl)`). */
  readonly routes: (router: ConnectRouter) => void;
  /** The service's root logger (`createLogger`). */
  readonly logger: Logger;
  /** The service's metrics (`createAppMetrics`); `/metrics` renders its registry. */
  readonly metrics: AppMetrics;
  /** Authentication and extra interceptors. */
  readonly interceptors?: ServerInterceptorOptions;
  /** Readiness checks for `/readyz` and the health service. */
  readonly readiness?: ReadinessCheck;
  /** Bound on one readiness evaluation; default 2000 ms. */
  readonly readinessTimeoutMs?: number;
  /** Bind host; default `127.0.0.1`. */
  readonly host?: string;
  /** Bind port; 0 lets the OS choose (tests). */
  readonly port: number;
  /** Serve TLS (ALPN h2 and http/1.1) instead of cleartext. */
  readonly tls?: ServerTlsOptions;
  /** Origins allowed for browser (CORS) requests; `*` allows any; default none. */
  readonly corsAllowedOrigins?: readonly string[];
  /** Largest accepted request message in bytes; default 4 MiB. */
  readonly readMaxBytes?: number;
  /** Require authentication for `/metrics` (use on non-loopback binds); needs `interceptors.authenticate`. */
  readonly metricsRequireAuth?: boolean;
  /** Aborting it closes the server gracefully (same as `close()`). */
  readonly shutdownSignal?: AbortSignal;
  /** How long in-flight RPCs may run after shutdown starts; default 10 s. */
  readonly shutdownGraceMs?: number;
  /** How often health Watch re-evaluates readiness; default 5000 ms. */
  readonly healthWatchIntervalMs?: number;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  /** Bound host. */
  readonly host: string;
  /** Bound port. */
  readonly port: number;
  /** Fully qualified names of every service served (including health and reflection). */
  readonly services: readonly string[];
  /** The listening front and the HTTP servers behind it. */
  readonly front: ProtocolFront;
  /** Drains and closes the server (idempotent); resolves when every connection is closed. */
  close(): Promise<void>;
}

function transportOf(req: NodeRequest) {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  return {
    remoteAddress: socket?.remoteAddress,
    httpVersion: req.httpVersion,
    encrypted: socket?.encrypted === true,
    clientCertificateAuthorized: socket?.encrypted === true && socket.authorized === true,
  };
}

function urlOf(protocol: "http" | "https", host: string, port: number): string {
  return `${protocol}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Starts a server; rejects with a StartupError (ERR_INVALID_CONFIG, ERR_BIND_FAILED) when it cannot. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const serverLogger = namedLogger(options.logger, "server");
  const authenticate = options.interceptors?.authenticate;
  if (options.metricsRequireAuth && !authenticate) {
    throw new StartupError("ERR_INVALID_CONFIG", "metrics authentication requires an authenticator");
  }
  const tls = options.tls ? await loadTlsOptions(options.tls) : undefined;
  const draining = new AbortController();
  const handlerShutdown = new AbortController();
  // Every in-flight call's handler signal (and every health Watch) listens on these until it ends: as many
  // listeners as calls in flight, which is load, not a leak; Node's default limit of 10 would warn about it.
  setMaxListeners(0, draining.signal, handlerShutdown.signal);
  const readiness = () => evaluateReadiness(options.readiness, options.readinessTimeoutMs);
  const builtIn: readonly DescService[] = [Health, ReflectionV1, ReflectionV1alpha];
  let served: readonly string[] = [];

  const routes = (router: ConnectRouter) => {
    options.routes(router);
    const services = [...new Set([...router.handlers.map((handler) => handler.service), ...builtIn])];
    served = services.map((service) => service.typeName).sort();
    registerHealthService(router, {
      services: served,
      isReady: async () => (await readiness()).ready,
      draining: draining.signal,
      ...(options.healthWatchIntervalMs !== undefined ? { watchIntervalMs: options.healthWatchIntervalMs } : {}),
    });
    registerReflectionServices(router, createDescriptorIndex(services));
  };

  const rpcHandler = connectNodeAdapter({
    routes,
    interceptors: createInterceptorChain({
      logger: namedLogger(options.logger, "rpc"),
      metrics: options.metrics,
      ...(authenticate ? { authenticate } : {}),
      publicProcedures: [
        ...builtIn.map((service) => service.typeName),
        ...(options.interceptors?.publicProcedures ?? []),
      ],
      ...(options.interceptors?.validator ? { validator: options.interceptors.validator } : {}),
      ...(options.interceptors?.inner ? { inner: options.interceptors.inner } : {}),
    }),
    contextValues: (req) => createContextValues().set(kTransport, transportOf(req)),
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    // Reject unknown JSON fields, as the original parsed bodies strictly: a misspelt field fails loudly instead
    // of being silently ignored.
    jsonOptions: { ignoreUnknownFields: false },
    shutdownSignal: handlerShutdown.signal,
    fallback: createHttpRoutes({
      metrics: options.metrics,
      draining: draining.signal,
      logger: serverLogger,
      ...(options.readiness ? { readiness: options.readiness } : {}),
      ...(options.readinessTimeoutMs !== undefined ? { readinessTimeoutMs: options.readinessTimeoutMs } : {}),
      ...(options.metricsRequireAuth && authenticate ? { metricsAuthenticate: authenticate } : {}),
    }),
  });

  const front = createProtocolFront({
    handler: withCors(options.corsAllowedOrigins ?? [], rpcHandler),
    logger: serverLogger,
    ...(tls ? { tls } : {}),
  });
  const requestedHost = options.host ?? "127.0.0.1";
  let address;
  try {
    address = await front.listen(requestedHost, options.port);
  } catch (cause) {
    throw new StartupError("ERR_BIND_FAILED", `cannot listen on ${requestedHost}:${options.port}`, { cause });
  }
  const url = urlOf(tls ? "https" : "http", address.address, address.port);
  serverLogger.info(
    { trace_id: "startup", request_id: "startup", bind_addr: `${address.address}:${address.port}`, url },
    `pecr-${options.service} listening`,
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const inFlight = front.activeRequests();
      serverLogger.info({ trace_id: "shutdown", request_id: "shutdown", in_flight: inFlight }, "draining");
      draining.abort();
      const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
      await front.drain(graceMs, () => {
        serverLogger.warn({ trace_id: "shutdown", request_id: "shutdown", grace_ms: graceMs }, "grace period over");
        handlerShutdown.abort(new ConnectError("server shutting down", Code.Unavailable));
      });
      serverLogger.info({ trace_id: "shutdown", request_id: "shutdown" }, "closed");
    })();
    return closing;
  };
  if (options.shutdownSignal) {
    if (options.shutdownSignal.aborted) void close();
    else options.shutdownSignal.addEventListener("abort", () => void close(), { once: true });
  }

  return { url, host: address.address, port: address.port, services: served, front, close };
}
