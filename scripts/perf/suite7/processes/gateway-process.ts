/**
 * The gateway as the performance suite runs it: configured by PECR_* variables like `pecr gateway`, logging to
 * the suite's log file (see service-logger.ts), and printing `gateway listening on <url>` once it serves.
 */
import { loadConfigSource } from "#core/config/config-source.js";
import { formatStartupError } from "#core/config/startup-error.js";
import { startGateway } from "../../../../services/gateway/gateway-app.js";
import { createServiceLogger, terminationSignal } from "./service-logger.js";

const { logger, flush } = createServiceLogger("pecr-gateway");
const shutdown = new AbortController();
try {
  const gateway = await startGateway({ source: loadConfigSource(), logger, shutdownSignal: shutdown.signal });
  console.log(`gateway listening on ${gateway.server.url}`);
  await terminationSignal();
  shutdown.abort();
  await gateway.close();
  await flush();
} catch (error) {
  console.error(formatStartupError(error));
  await flush();
  process.exitCode = 1;
}
