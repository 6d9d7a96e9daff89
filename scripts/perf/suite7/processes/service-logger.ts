/**
 * The logger of a service started by the performance suite: the service's usual JSON lines, written to the file
 * named by `PECR_PERF_LOG_FILE` at `PECR_PERF_LOG_LEVEL` (default info), so a benchmark pays for logging as a
 * deployment does while the load generator never reads the lines. Without a file the service logs nothing.
 */
import pino, { type Logger } from "pino";
import { createLogger } from "#core/observability/logger.js";

/** A service logger and the flush to call before exiting. */
export interface ServiceLogger {
  /** The root logger. */
  readonly logger: Logger;
  /** Flushes buffered lines. */
  flush(): void;
}

/** Creates the logger of service `service` from the PECR_PERF_LOG_* variables. */
export function createServiceLogger(service: string, env: NodeJS.ProcessEnv = process.env): ServiceLogger {
  const file = env.PECR_PERF_LOG_FILE;
  if (file === undefined || file === "") return { logger: createLogger({ service, level: "silent" }), flush: () => undefined };
  const destination = pino.destination({ dest: file, sync: false, mkdir: true });
  const level = (env.PECR_PERF_LOG_LEVEL ?? "info") as pino.Level;
  return { logger: createLogger({ service, level, destination }), flush: () => destination.flushSync() };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function terminationSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
