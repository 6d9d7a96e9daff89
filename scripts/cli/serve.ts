/**
 * `pecr serve` (what `npm start` runs): the whole system on embedded defaults in one process — the gateway
 * (embedded PGlite ledger under `.pecr/`, embedded Rego policy, fixture corpus and safe views loaded) and the
 * controller pointed at it. Every PECR_* variable still applies (e.g. PECR_DB_URL for real Postgres,
 * PECR_OPA_URL for an OPA server). Prints the addresses and example commands; stops on SIGINT/SIGTERM.
 */
import { createConfigReader } from "#core/config/config-reader.js";
import { loadConfigSource } from "#core/config/config-source.js";
import { formatStartupError } from "#core/config/startup-error.js";
import { startController } from "../../services/controller/app/controller-app.js";
import { readControllerConfig } from "../../services/controller/config/controller-config.js";
import { startGateway } from "../../services/gateway/gateway-app.js";

/** The controller's default budget when none is configured (the original's compose default). */
const DEFAULT_BUDGET =
  '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":10000,"max_recursion_depth":5,"max_parallelism":4}';

/** Runs the command. */
export async function run(args: string[]): Promise<number> {
  if (args.length > 0) {
    console.error("usage: pecr serve   (configured by PECR_* environment variables)");
    return 2;
  }
  const shutdown = new AbortController();
  const source = loadConfigSource();
  let gateway;
  let controller;
  try {
    gateway = await startGateway({ source, shutdownSignal: shutdown.signal });
    const controllerSource = {
      PECR_BUDGET_DEFAULTS: DEFAULT_BUDGET,
      ...source,
      PECR_GATEWAY_URL: source.PECR_GATEWAY_URL ?? gateway.server.url,
    };
    controller = await startController(readControllerConfig(createConfigReader(controllerSource)), { shutdownSignal: shutdown.signal });
  } catch (error) {
    console.error(formatStartupError(error));
    await gateway?.close();
    return 1;
  }
  const gatewayUrl = gateway.server.url;
  const controllerUrl = controller.server.url;
  console.log(`pecr gateway listening on ${gatewayUrl}`);
  console.log(`pecr controller listening on ${controllerUrl}`);
  console.log("");
  console.log("try:");
  console.log(`  npm run pecr -- run "What are the support hours?" --url ${controllerUrl}`);
  console.log(`  npx buf curl --protocol grpc --http2-prior-knowledge --list-services ${gatewayUrl}`);
  console.log(
    `  npx buf curl --protocol grpc --http2-prior-knowledge -H 'x-pecr-principal-id: dev' ` +
      `-d '{"query":"What are the support hours?"}' ${controllerUrl}/pecr.controller.v1.ControllerService/Run`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  shutdown.abort();
  await controller.close();
  await gateway.close();
  return 0;
}
