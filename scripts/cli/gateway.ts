/**
 * `pecr gateway`: runs the gateway alone from the environment (and `PECR_CONFIG_PATH`) until SIGINT/SIGTERM.
 * A failed start prints `STARTUP_ERROR <CODE>: <message>` and exits 1.
 */
import { loadConfigSource } from "#core/config/config-source.js";
import { formatStartupError } from "#core/config/startup-error.js";
import { startGateway } from "../../services/gateway/gateway-app.js";

/** Runs the command. */
export async function run(args: string[]): Promise<number> {
  if (args.length > 0) {
    console.error("usage: pecr gateway   (configured by PECR_* environment variables)");
    return 2;
  }
  const shutdown = new AbortController();
  let gateway;
  try {
    gateway = await startGateway({ source: loadConfigSource(), shutdownSignal: shutdown.signal });
  } catch (error) {
    console.error(formatStartupError(error));
    return 1;
  }
  console.log(`pecr gateway listening on ${gateway.server.url}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  shutdown.abort();
  await gateway.close();
  return 0;
}
