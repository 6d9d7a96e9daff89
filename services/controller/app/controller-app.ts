/**
 * The controller's composition root: builds everything from the parsed configuration (authenticator, gateway
 * transport and client, planner, metrics, rate limiter) and serves the routes with the core server bootstrap.
 * Nothing lives at module level; every dependency can be replaced (tests pass a router transport as the gateway).
 */
import { type Validator, createValidator } from "@bufbuild/protovalidate";
import type { Interceptor, Transport } from "@connectrpc/connect";
import type { Logger } from "pino";
import { type Authenticator, type AuthenticatorDeps, createAuthenticator } from "#core/auth/authenticator.js";
import { createLogger, namedLogger } from "#core/observability/logger.js";
import { type AppMetrics, createAppMetrics } from "#core/observability/metrics.js";
import { newUlid } from "#core/observability/request-ids.js";
import { createSlidingWindowLimiter } from "#core/rate-limit/sliding-window-limiter.js";
import type { ReadinessCheck } from "#core/server/readiness.js";
import { type RunningServer, startServer } from "#core/server/server.js";
import type { ConnectRouter } from "@connectrpc/connect";
import type { ControllerConfig } from "../config/controller-config.js";
import { type GatewayClient, createGatewayClient } from "../gateway/gateway-client.js";
import { createGatewayTransport } from "../gateway/gateway-transport.js";
import { type ControllerMetrics, createControllerMetrics } from "../observability/controller-metrics.js";
import { createExtractivePlanner } from "../planners/extractive-planner.js";
import { createMockPlanner } from "../planners/mock-planner.js";
import type { Planner } from "../planners/planner.js";
import { type ControllerRoutesContext, createControllerRoutes } from "../rpc/controller-routes.js";
import { createRunRateLimitInterceptor } from "../rpc/run-rate-limit.js";

/** Bound on the gateway probe of `/readyz`. */
export const GATEWAY_READINESS_TIMEOUT_MS = 2000;

/** Replaceable parts of the app (all optional). */
export interface ControllerAppDeps {
  /** Root logger; default JSON to stdout at info. */
  readonly logger?: Logger;
  /** Metrics; default a new registry. */
  readonly metrics?: AppMetrics;
  /** Transport to the gateway; default HTTP/2 to `config.gatewayUrl`. */
  readonly gatewayTransport?: Transport;
  /** Authenticator; default built from `config.auth`. */
  readonly authenticator?: Authenticator;
  /** Dependencies of the default authenticator. */
  readonly authenticatorDeps?: AuthenticatorDeps;
  /** protovalidate validator. */
  readonly validator?: Validator;
  /** Monotonic clock in ms; default `performance.now`. */
  readonly now?: () => number;
  /** Clock of the rate limiter in ms; default `Date.now`. */
  readonly rateLimitNow?: () => number;
  /** New ULIDs; default `newUlid`. */
  readonly newId?: () => string;
}

/** The built controller, ready to be served. */
export interface ControllerApp {
  /** The configuration it was built from. */
  readonly config: ControllerConfig;
  /** Root logger. */
  readonly logger: Logger;
  /** The app's registry and RPC metrics. */
  readonly metrics: AppMetrics;
  /** The controller's own metrics. */
  readonly controllerMetrics: ControllerMetrics;
  /** The authenticator. */
  readonly authenticator: Authenticator;
  /** The gateway client. */
  readonly gateway: GatewayClient;
  /** The planner in use. */
  readonly planner: Planner;
  /** What the routes use. */
  readonly routesContext: ControllerRoutesContext;
  /** Registers the RPCs. */
  readonly routes: (router: ConnectRouter) => void;
  /** Service interceptors (the run rate limit), run after authentication and before validation. */
  readonly innerInterceptors: readonly Interceptor[];
  /** `/readyz` checks: `auth` and `gateway`. */
  readonly readiness: ReadinessCheck;
  /** Releases the gateway connection (when the app created it). */
  close(): void;
}

/** Creates the planner named by the configuration. */
export function createConfiguredPlanner(config: Pick<ControllerConfig, "planner" | "baselinePlan">): Planner {
  return config.planner === "mock" ? createMockPlanner(config.baselinePlan) : createExtractivePlanner();
}

/** Builds the controller from its configuration. */
export async function createControllerApp(config: ControllerConfig, deps: ControllerAppDeps = {}): Promise<ControllerApp> {
  const logger = deps.logger ?? createLogger({ service: "controller", level: config.logLevel });
  const metrics = deps.metrics ?? createAppMetrics();
  const controllerMetrics = createControllerMetrics(metrics);
  const authenticator = deps.authenticator ?? (await createAuthenticator(config.auth, deps.authenticatorDeps));
  const ownTransport = deps.gatewayTransport ? undefined : createGatewayTransport(config.gatewayUrl, config.gatewayTls);
  const gateway = createGatewayClient(deps.gatewayTransport ?? ownTransport!.transport);
  const planner = createConfiguredPlanner(config);
  if (config.planner !== "mock" && config.baselinePlan !== undefined) {
    namedLogger(logger, "config").warn({ planner: config.planner }, "PECR_BASELINE_PLAN is only used by the mock planner");
  }
  const routesContext: ControllerRoutesContext = {
    budgetDefaults: config.budgetDefaults,
    forwardHeaders: (headers) => authenticator.forwardHeaders(headers),
    run: {
      gateway,
      planner,
      metrics: controllerMetrics,
      validator: deps.validator ?? createValidator(),
      gatewayCallTimeoutMs: config.gatewayCallTimeoutMs,
      now: deps.now ?? (() => performance.now()),
      newId: deps.newId ?? newUlid,
    },
  };
  const limiter = createSlidingWindowLimiter({
    limit: config.rateLimitRunPerWindow,
    windowMs: config.rateLimitWindowSecs * 1000,
    ...(deps.rateLimitNow ? { now: deps.rateLimitNow } : {}),
  });
  return {
    config,
    logger,
    metrics,
    controllerMetrics,
    authenticator,
    gateway,
    planner,
    routesContext,
    routes: createControllerRoutes(routesContext),
    innerInterceptors: [createRunRateLimitInterceptor(limiter)],
    readiness: async () => ({
      auth: authenticator.ready(),
      gateway: await gateway.healthy(GATEWAY_READINESS_TIMEOUT_MS),
    }),
    close: () => ownTransport?.close(),
  };
}

/** Options of `startController`. */
export interface StartControllerOptions extends ControllerAppDeps {
  /** Listen port instead of the configured one (tests pass 0). */
  readonly port?: number;
  /** Closes the server when aborted. */
  readonly shutdownSignal?: AbortSignal;
}

/** A running controller. */
export interface RunningController {
  /** The app. */
  readonly app: ControllerApp;
  /** The server. */
  readonly server: RunningServer;
  /** Drains the server, then closes the gateway connection. */
  close(): Promise<void>;
}

/** Builds the controller and serves it on the configured address (Connect, gRPC, gRPC-Web; probes; metrics). */
export async function startController(config: ControllerConfig, options: StartControllerOptions = {}): Promise<RunningController> {
  const app = await createControllerApp(config, options);
  const tls = config.serverTls;
  let server: RunningServer;
  try {
    server = await startServer({
      service: "controller",
      routes: app.routes,
      logger: app.logger,
      metrics: app.metrics,
      interceptors: {
        authenticate: (request) => app.authenticator.authenticate(request.header),
        inner: app.innerInterceptors,
      },
      readiness: app.readiness,
      host: config.bind.host,
      port: options.port ?? config.bind.port,
      ...(tls
        ? { tls: { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: tls.requestCert } }
        : {}),
      corsAllowedOrigins: config.corsAllowedOrigins,
      readMaxBytes: config.readMaxBytes,
      metricsRequireAuth: config.metricsRequireAuth,
      ...(options.shutdownSignal ? { shutdownSignal: options.shutdownSignal } : {}),
    });
  } catch (error) {
    app.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    server,
    close: () => {
      closing ??= server.close().finally(() => app.close());
      return closing;
    },
  };
}
