/**
 * `pecr run` against a real controller and (fake) gateway: it prints the answer, each claim with its status and
 * cited evidence, and the terminal mode, and its exit status says whether the run worked.
 */
import test from "ava";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { closedPort, serveController, serveFakeGateway } from "./support/servers.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function pecr(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ["--import=tsx", "scripts/pecr.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, PECR_LOCAL_AUTH_SHARED_SECRET: "" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function servers(t: import("ava").ExecutionContext) {
  const gateway = await serveFakeGateway();
  t.teardown(() => gateway.server.close());
  const served = await serveController({ PECR_GATEWAY_URL: gateway.server.url });
  t.teardown(() => served.controller.close());
  return served.url;
}

test("pecr run prints the answer, its claims with cited evidence, and the terminal mode", async (t) => {
  const url = await servers(t);
  const result = await pecr(["run", "What are the support hours?", "--principal", "dev", "--url", url]);
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.split("\n");
  t.is(lines[0], "Support hours are 09:00 to 17:00 UTC, Monday to Friday.");
  t.regex(result.stdout, /\[SUPPORTED\] Support hours are 09:00 to 17:00 UTC, Monday to Friday\. \(cites [0-9a-f]{64}\)/);
  t.regex(result.stdout, /[0-9a-f]{64} fs_corpus:public\/support_policy\.txt/);
  t.regex(result.stdout, /terminal mode: SUPPORTED$/m);
});

test("pecr run --stream prints each event before the answer", async (t) => {
  const url = await servers(t);
  const result = await pecr(["run", "What are the support hours?", "--url", url, "--stream"]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^> session [0-9A-Z]{26} \(trace [0-9A-Z]{26}\)$/m);
  t.regex(result.stdout, /^> step 1: search -> SUPPORTED/m);
  t.regex(result.stdout, /^> step 2: evidence public\/support_policy\.txt#/m);
  t.regex(result.stdout, /^> finalize: SUPPORTED \(coverage 1\)$/m);
  t.true(result.stdout.indexOf("> finalize") < result.stdout.indexOf("terminal mode: SUPPORTED"));
});

test("a denied principal exits 0 with INSUFFICIENT_PERMISSION", async (t) => {
  const url = await servers(t);
  const result = await pecr(["run", "What are the support hours?", "--principal", "guest", "--url", url]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /terminal mode: INSUFFICIENT_PERMISSION$/m);
  t.regex(result.stdout, /\[UNKNOWN\] insufficient permission to access required evidence\. \(no evidence\)/);
});

test("pecr run exits 1 when the controller cannot be reached, and 2 without a question", async (t) => {
  const down = await pecr(["run", "anything", "--url", `http://127.0.0.1:${await closedPort()}`]);
  t.is(down.code, 1);
  t.regex(down.stderr, /^error: /m);
  const usage = await pecr(["run"]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /usage: pecr run/);
});

test("pecr controller serves runs against PECR_GATEWAY_URL, stops on SIGTERM, and refuses to start without a budget", async (t) => {
  const gateway = await serveFakeGateway();
  t.teardown(() => gateway.server.close());
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, ["--import=tsx", "scripts/pecr.ts", "controller"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PECR_LOCAL_AUTH_SHARED_SECRET: "",
      PECR_GATEWAY_URL: gateway.server.url,
      PECR_CONTROLLER_BIND_ADDR: "127.0.0.1:0",
      PECR_BUDGET_DEFAULTS: '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":10000,"max_recursion_depth":5,"max_parallelism":4}',
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => child.kill("SIGKILL"));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      const match = /pecr controller listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code} before listening`)));
  });
  const result = await pecr(["run", "What are the support hours?", "--url", url]);
  t.regex(result.stdout, /terminal mode: SUPPORTED$/m);
  child.kill("SIGTERM");
  t.is(await exited, 0);

  const { PECR_BUDGET_DEFAULTS: _, ...withoutBudget } = process.env;
  const refused = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import=tsx", "scripts/pecr.ts", "controller"], {
      cwd: ROOT,
      env: { ...withoutBudget, PECR_GATEWAY_URL: gateway.server.url, PECR_CONTROLLER_BIND_ADDR: "127.0.0.1:0" },
    }, (error, _stdout, stderr) => resolve({ code: (error as { code?: number } | null)?.code ?? 0, stderr }));
  });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /^STARTUP_ERROR ERR_MISSING_CONFIG: PECR_BUDGET_DEFAULTS is required$/m);
});
