/**
 * Real servers for the controller's end-to-end tests: the fake gateway behind the core server bootstrap on
 * port 0 (h2c, or TLS with client certificates), and the controller started by its composition root on port 0
 * pointing at it.
 */
import { createServer } from "node:net";
import { createConfigReader } from "#core/config/config-reader.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { createLogger } from "#core/observability/logger.js";
import { createAppMetrics } from "#core/observability/metrics.js";
import { type RunningServer, type ServerOptions, startServer } from "#core/server/server.js";
import { type RunningController, startController } from "../../../../services/controller/app/controller-app.js";
import { readControllerConfig } from "../../../../services/controller/config/controller-config.js";
import { type LogLines, logSink, testEnv } from "./controller-harness.js";
import { type FakeGateway, type FakeGatewayHooks, createFakeGateway } from "./fake-gateway.js";

/** The fake gateway on a real server. */
export interface ServedGateway {
  /** The fake. */
  readonly fake: FakeGateway;
  /** Its server. */
  readonly server: RunningServer;
}

/** Serves a fresh fake gateway on 127.0.0.1 port 0. */
export async function serveFakeGateway(
  hooks: FakeGatewayHooks = {},
  options: Partial<Pick<ServerOptions, "tls">> = {},
): Promise<ServedGateway> {
  const fake = createFakeGateway(hooks);
  const server = await startServer({
    service: "fake-gateway",
    routes: fake.routes,
    logger: createLogger({ service: "fake-gateway", level: "silent" }),
    metrics: createAppMetrics(),
    port: 0,
    ...options,
  });
  return { fake, server };
}

/** A controller on a real server, with its log lines. */
export interface ServedController {
  /** The running controller. */
  readonly controller: RunningController;
  /** Its base URL. */
  readonly url: string;
  /** Its log lines. */
  readonly logs: LogLines;
}

/** Starts the controller on 127.0.0.1 port 0 with `env` (over the test defaults). */
export async function serveController(env: ConfigSource): Promise<ServedController> {
  const logs: LogLines = [];
  const config = readControllerConfig(createConfigReader(testEnv(env)));
  const controller = await startController(config, {
    port: 0,
    logger: createLogger({ service: "controller", level: "debug", destination: logSink(logs) }),
  });
  return { controller, url: controller.server.url, logs };
}

/** A port nothing listens on: bound on 127.0.0.1, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
