/**
 * The log level the suite hands to the services it starts, and the level they then log at.
 */
import test from "ava";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServiceLogger, serviceLogEnv } from "./service-logger.js";

async function linesLogged(env: NodeJS.ProcessEnv, file: string): Promise<string[]> {
  const { logger, flush } = createServiceLogger("gateway", env);
  logger.debug("a debug line");
  logger.info("an info line");
  logger.warn("a warn line");
  await flush();
  return (await readFile(file, "utf8"))
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

test("a service started with the suite's log variables logs to its file at the level the suite was given", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pecr-service-logger-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const warnFile = join(dir, "warn.log");
  t.deepEqual(await linesLogged(serviceLogEnv(warnFile, "warn"), warnFile), ["a warn line"]);
  const debugFile = join(dir, "debug.log");
  t.deepEqual(await linesLogged(serviceLogEnv(debugFile, "debug"), debugFile), ["a debug line", "an info line", "a warn line"]);
});

test("without a level a service logs at info, and without a file it logs nothing", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pecr-service-logger-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "default.log");
  t.deepEqual(await linesLogged({ PECR_PERF_LOG_FILE: file }, file), ["an info line", "a warn line"]);
  t.is(createServiceLogger("gateway", { PECR_PERF_LOG_LEVEL: "debug" }).logger.level, "silent");
});
