/**
 * The controller under test, served in memory: its routes behind the full interceptor chain of the bootstrap
 * (`createRouterTransport`), talking to the fake gateway through another router transport. Log lines are
 * captured through a sink stream.
 */
import { type Client, type Transport, createClient, createRouterTransport } from "@connectrpc/connect";
import { Writable } from "node:stream";
import { createConfigReader } from "#core/config/config-reader.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { createInterceptorChain } from "#core/interceptors/interceptor-chain.js";
import { createLogger, namedLogger } from "#core/observability/logger.js";
import { type ControllerApp, type ControllerAppDeps, createControllerApp } from "../../../../services/controller/app/controller-app.js";
import { readControllerConfig } from "../../../../services/controller/config/controller-config.js";
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import { type FakeGateway, type FakeGatewayHooks, createFakeGateway } from "./fake-gateway.js";

/** The compose default budget (reference §0). */
export const DEFAULT_BUDGET_JSON =
  '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":10000,"max_recursion_depth":5,"max_parallelism":4}';

/** Parsed JSON log lines. */
export type LogLines = Record<string, unknown>[];

/** A pino destination collecting parsed lines. */
export function logSink(lines: LogLines): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
}

/** The controller's environment for tests: a gateway URL that is never dialled, the compose budget. */
export function testEnv(overrides: ConfigSource = {}): ConfigSource {
  return { PECR_GATEWAY_URL: "http://gateway.invalid:1", PECR_BUDGET_DEFAULTS: DEFAULT_BUDGET_JSON, ...overrides };
}

/** A controller and its fake gateway. */
export interface Harness {
  /** The fake gateway. */
  readonly gateway: FakeGateway;
  /** The controller app. */
  readonly app: ControllerApp;
  /** A client of the controller through the full interceptor chain. */
  readonly client: Client<typeof ControllerService>;
  /** Every log line the controller wrote. */
  readonly logs: LogLines;
}

/** Options of `createHarness`. */
export interface HarnessOptions {
  /** Controller environment overrides. */
  readonly env?: ConfigSource;
  /** Fake gateway hooks. */
  readonly hooks?: FakeGatewayHooks;
  /** Replaces the transport to the fake gateway (e.g. a dead one). */
  readonly gatewayTransport?: Transport;
  /** More app dependencies. */
  readonly deps?: ControllerAppDeps;
}

/** Builds the controller over a fresh fake gateway. */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const gateway = createFakeGateway(options.hooks);
  const logs: LogLines = [];
  const config = readControllerConfig(createConfigReader(testEnv(options.env)));
  const app = await createControllerApp(config, {
    logger: createLogger({ service: "controller", level: "debug", destination: logSink(logs) }),
    gatewayTransport: options.gatewayTransport ?? createRouterTransport(gateway.routes),
    ...options.deps,
  });
  const transport = createRouterTransport(app.routes, {
    router: {
      interceptors: createInterceptorChain({
        logger: namedLogger(app.logger, "rpc"),
        metrics: app.metrics,
        authenticate: (request) => app.authenticator.authenticate(request.header),
        inner: [...app.innerInterceptors],
      }),
    },
  });
  return { gateway, app, client: createClient(ControllerService, transport), logs };
}

/** Headers of a local-mode caller. */
export function as(principalId: string, extra: Record<string, string> = {}): { headers: Record<string, string> } {
  return { headers: { "x-pecr-principal-id": principalId, ...extra } };
}

/** JSON of a message with bigints as strings, for leak checks. */
export function jsonOf(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item));
}
