/**
 * The controller alone in its own process, as the performance suite runs it: configured by PECR_* variables like
 * `pecr controller` (scripts/cli/controller.ts), but with the suite's logger, which writes to the suite's log
 * file at the suite's level (see service-logger.ts) where the command logs to stdout, and printing
 * `controller listening on <url>` once it serves.
 */
import { createConfigReader } from "#core/config/config-reader.js";
import { loadConfigSource } from "#core/config/config-source.js";
import { formatStartupError } from "#core/config/startup-error.js";
import { startController } from "../../../../services/controller/app/controller-app.js";
import { readControllerConfig } from "../../../../services/controller/config/controller-config.js";
import { createServiceLogger, terminationSignal } from "./service-logger.js";

const { logger, flush } = createServiceLogger("pecr-controller");
const shutdown = new AbortController();
try {
  const config = readControllerConfig(createConfigReader(loadConfigSource()));
  const controller = await startController(config, { logger, shutdownSignal: shutdown.signal });
  console.log(`controller listening on ${controller.server.url}`);
  await terminationSignal();
  shutdown.abort();
  await controller.close();
  await flush();
} catch (error) {
  console.error(formatStartupError(error));
  await flush();
  process.exitCode = 1;
}
