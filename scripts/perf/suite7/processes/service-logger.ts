/**
 * The logger of a service started by the performance suite: the service's usual JSON lines, written to the file
 * named by `PECR_PERF_LOG_FILE` at `PECR_PERF_LOG_LEVEL` (default info), so a benchmark pays for logging as a
 * deployment does while the load generator never reads the lines. Without a file the service logs nothing.
 * The suite starts services with a clean environment (support/script-process.ts), so both variables reach them
 * only through `serviceLogEnv`.
 */
import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type Logger } from "pino";
import { type LogLevel, createLogger } from "#core/observability/logger.js";

/** A service logger and the flush to call before exiting. */
export interface ServiceLogger {
  /** The root logger. */
  readonly logger: Logger;
  /** Writes every line logged so far, in order, and closes the file (call it once, before exiting). */
  flush(): Promise<void>;
}

/**
 * The variables that make a service log to `file` at `level`: what the suite passes to each service it starts
 * (the user's `PECR_PERF_LOG_LEVEL`, read into the suite's options, would otherwise be stripped with every
 * other PECR_* variable).
 */
export function serviceLogEnv(file: string, level: LogLevel): Record<string, string> {
  return { PECR_PERF_LOG_FILE: file, PECR_PERF_LOG_LEVEL: level };
}

/** Creates the logger of service `service` from the PECR_PERF_LOG_* variables. */
export function createServiceLogger(service: string, env: NodeJS.ProcessEnv = process.env): ServiceLogger {
  const file = env.PECR_PERF_LOG_FILE;
  if (file === undefined || file === "") return { logger: createLogger({ service, level: "silent" }), flush: async () => undefined };
  // Opened here, synchronously, so the destination is ready at once, even for a service that fails at start.
  // Writes stay asynchronous, and in order: SonicBoom queues a line behind the one being written. Its flushSync
  // would write the queue past a line still in flight, reordering them; end() waits for that line first.
  mkdirSync(dirname(file), { recursive: true });
  const destination = pino.destination({ fd: openSync(file, "a"), sync: false });
  const level = (env.PECR_PERF_LOG_LEVEL ?? "info") as LogLevel;
  return {
    logger: createLogger({ service, level, destination }),
    flush: () =>
      new Promise<void>((resolve) => {
        destination.once("close", () => resolve());
        destination.end();
      }),
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function terminationSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
