/**
 * `npm start` (`pecr serve`) as a user meets it: the command runs as its own process with both services on
 * port 0 (PECR_BIND_ADDR, PECR_CONTROLLER_BIND_ADDR) and an embedded ledger in a temporary PECR_DATA_DIR, prints
 * the addresses it really listens on, answers the README's `buf curl` calls (CreateSession as dev, the session
 * token read from the verbose response headers, FetchSpan of `public/public_1.txt`; a Run through the controller
 * answering SUPPORTED), and exits cleanly on SIGTERM.
 */
import test from "ava";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The buf binary of the installed @bufbuild/buf package: what `npx buf` runs, without npx's own start-up. */
const BUF = join(ROOT, "node_modules", ".bin", "buf");
const BUDGET = { maxOperatorCalls: 10, maxBytes: "1048576", maxWallclockMs: "10000", maxRecursionDepth: 5 };

/** Runs `buf curl --protocol grpc --http2-prior-knowledge -v` as principal dev; returns the response and the verbose log. */
async function bufCurl(url: string, body: unknown, headers: readonly string[] = []): Promise<{ response: Record<string, unknown>; verbose: string }> {
  const args = ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-v", "-H", "x-pecr-principal-id: dev"];
  for (const header of headers) args.push("-H", header);
  const { stdout, stderr } = await exec(BUF, [...args, "-d", JSON.stringify(body), url], { cwd: ROOT });
  return { response: JSON.parse(stdout) as Record<string, unknown>, verbose: stderr };
}

test("pecr serve on port 0 prints both addresses, answers buf curl's CreateSession, FetchSpan and Run, and exits on SIGTERM", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "pecr-serve-"));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // Only this test's configuration: nothing PECR_* of the environment running the tests leaks in.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PECR_")));
  const child = spawn(process.execPath, ["--import=tsx", "scripts/pecr.ts", "serve"], {
    cwd: ROOT,
    env: { ...env, PECR_BIND_ADDR: "127.0.0.1:0", PECR_CONTROLLER_BIND_ADDR: "127.0.0.1:0", PECR_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const urls = await new Promise<{ gateway: string; controller: string }>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      const gateway = /^pecr gateway listening on (http:\/\/\S+)$/m.exec(stdout)?.[1];
      const controller = /^pecr controller listening on (http:\/\/\S+)$/m.exec(stdout)?.[1];
      if (gateway && controller) resolve({ gateway, controller });
    });
    void exited.then(({ code }) => reject(new Error(`pecr serve exited ${code} before listening:\n${stderr}`)));
  });
  const gatewayPort = Number(new URL(urls.gateway).port);
  const controllerPort = Number(new URL(urls.controller).port);
  t.true(gatewayPort > 0 && controllerPort > 0 && gatewayPort !== controllerPort, `${urls.gateway} ${urls.controller}`);
  // The example commands name the addresses actually bound.
  t.true(stdout.includes(`npx buf curl --protocol grpc --http2-prior-knowledge --list-services ${urls.gateway}`));
  t.true(stdout.includes(`${urls.controller}/pecr.controller.v1.ControllerService/Run`));

  const created = await bufCurl(`${urls.gateway}/pecr.gateway.v1.GatewayService/CreateSession`, { budget: BUDGET });
  const sessionId = created.response.sessionId;
  t.regex(String(sessionId), /^[0-9A-Z]{26}$/);
  // buf prints each response header as `buf: < (#<stream>) Name: value`, names in canonical case.
  const token = /^buf: < \(#\d+\) x-pecr-session-token: (\S+)$/im.exec(created.verbose)?.[1];
  t.truthy(token, "the session token is in the response headers");

  const fetched = await bufCurl(
    `${urls.gateway}/pecr.gateway.v1.GatewayService/FetchSpan`,
    { sessionId, params: { objectId: "public/public_1.txt" } },
    [`x-pecr-session-token: ${token}`],
  );
  const unit = fetched.response.evidenceUnit as { objectId?: string; evidenceUnitId?: string; text?: string } | undefined;
  t.is(fetched.response.terminalMode, "TERMINAL_MODE_SUPPORTED");
  t.is(unit?.objectId, "public/public_1.txt");
  t.regex(unit?.evidenceUnitId ?? "", /^[0-9a-f]{64}$/);
  t.is(unit?.text, readFileSync(join(ROOT, "fixtures", "fs_corpus", "public", "public_1.txt"), "utf8"));

  const run = await bufCurl(`${urls.controller}/pecr.controller.v1.ControllerService/Run`, { query: "What are the support hours?" });
  t.is(run.response.terminalMode, "TERMINAL_MODE_SUPPORTED");
  t.is(run.response.responseText, "Support hours are 09:00 to 17:00 UTC, Monday to Friday.");

  child.kill("SIGTERM");
  t.deepEqual(await exited, { code: 0, signal: null });
});
