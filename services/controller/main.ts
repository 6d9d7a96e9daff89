/**
 * The controller's process entry: read the configuration (environment over `PECR_CONFIG_PATH`), start, and close
 * gracefully on SIGINT/SIGTERM. A failed start prints `STARTUP_ERROR <CODE>: <message>` and exits 1.
 */
import { createConfigReader } from "#core/config/config-reader.js";
import { type ConfigSource, loadConfigSource } from "#core/config/config-source.js";
import { formatStartupError } from "#core/config/startup-error.js";
import { pathToFileURL } from "node:url";
import { type StartControllerOptions, type RunningController, startController } from "./app/controller-app.js";
import { readControllerConfig } from "./config/controller-config.js";

/** Reads the configuration from `env` and starts the controller. */
export async function startControllerFromEnv(
  env: ConfigSource = process.env,
  options: StartControllerOptions = {},
): Promise<RunningController> {
  const config = readControllerConfig(createConfigReader(loadConfigSource(env)));
  return startController(config, options);
}

/** Runs the controller until SIGINT/SIGTERM; returns the exit code. */
export async function main(env: ConfigSource = process.env): Promise<number> {
  let running: RunningController;
  try {
    running = await startControllerFromEnv(env);
  } catch (error) {
    console.error(formatStartupError(error));
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await running.close();
  return 0;
}

// Run only when executed directly (`tsx services/controller/main.ts`), not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
