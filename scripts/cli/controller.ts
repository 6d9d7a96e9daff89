/**
 * `pecr controller`: runs the controller alone from the environment (and `PECR_CONFIG_PATH`) until SIGINT/SIGTERM,
 * pointed at a gateway by `PECR_GATEWAY_URL`. A failed start prints `STARTUP_ERROR <CODE>: <message>` and exits 1.
 */
import { formatStartupError } from "#core/config/startup-error.js";
import { startControllerFromEnv } from "../../services/controller/main.js";

/** Runs the command. */
export async function run(args: string[]): Promise<number> {
  if (args.length > 0) {
    console.error("usage: pecr controller   (configured by PECR_* environment variables; PECR_GATEWAY_URL is required)");
    return 2;
  }
  const shutdown = new AbortController();
  let controller;
  try {
    controller = await startControllerFromEnv(process.env, { shutdownSignal: shutdown.signal });
  } catch (error) {
    console.error(formatStartupError(error));
    return 1;
  }
  console.log(`pecr controller listening on ${controller.server.url}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  shutdown.abort();
  await controller.close();
  return 0;
}
