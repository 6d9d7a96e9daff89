/**
 * `pecr opa-serve [--addr 127.0.0.1:8181] [--bundle opa/bundle]`: serves the policy bundle over OPA's REST
 * Data API (the subset PECR uses), evaluated by the embedded engine, until SIGINT or SIGTERM. Point
 * `PECR_OPA_URL` at it to run the gateway's `opa` engine without an OPA binary.
 */
import { once } from "node:events";
import { parseArgs } from "node:util";
import { createEmbeddedEngine } from "../../services/gateway/policy/embedded-engine.js";
import { startOpaCompatibleServer } from "../../services/gateway/policy/opa-compatible-server.js";

const USAGE = "usage: pecr opa-serve [--addr 127.0.0.1:8181] [--bundle opa/bundle]";

/** Splits `host:port` (or `[v6]:port`) into its parts; undefined when malformed. */
export function parseAddr(addr: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(addr);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65535) return undefined;
  return { host, port };
}

/** Runs the command; resolves with the exit code once a termination signal has closed the server. */
export async function run(args: string[]): Promise<number> {
  let values: { addr: string; bundle: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        addr: { type: "string", default: "127.0.0.1:8181" },
        bundle: { type: "string", default: "opa/bundle" },
      },
      strict: true,
      allowPositionals: false,
    }) as { values: { addr: string; bundle: string } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const addr = parseAddr(values.addr);
  if (addr === undefined) {
    console.error(`invalid --addr ${JSON.stringify(values.addr)}: expected host:port\n${USAGE}`);
    return 2;
  }
  let engine: Awaited<ReturnType<typeof createEmbeddedEngine>>;
  try {
    engine = await createEmbeddedEngine({ bundleDir: values.bundle });
  } catch (error) {
    // The bundle failed to load or compile (fail closed at startup); the message names the file and line.
    console.error(`opa-serve: cannot load bundle ${values.bundle}: ${(error as Error).message}`);
    return 1;
  }
  const server = await startOpaCompatibleServer({ engine, ...addr });
  console.log(`serving ${values.bundle} (bundle ${engine.bundleHash}) at ${server.url}`);
  console.log(`try: curl -s ${server.url}/v1/data/pecr/authz/decision -d '{"input":{"action":"create_session","principal_id":"dev"}}'`);

  const stop = new AbortController();
  const signal = await Promise.race(
    (["SIGINT", "SIGTERM"] as const).map((name) => once(process, name, { signal: stop.signal }).then(() => name)),
  );
  stop.abort();
  console.log(`${signal}: shutting down`);
  await server.close();
  await engine.close();
  return 0;
}
