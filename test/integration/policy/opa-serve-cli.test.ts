/**
 * `pecr opa-serve` as a user runs it: a child process serving the bundle until SIGTERM.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import test from "ava";
import { createOpaHttpEngine } from "../../../services/gateway/policy/opa-http/opa-http-engine.js";
import { TEST_BUNDLE_HASH } from "./assertions.js";
import { sampleInput } from "./test-engines.js";

test("opa-serve serves decisions on the address it prints and exits 0 on SIGTERM", async (t) => {
  const child = spawn(
    process.execPath,
    ["--import=tsx", "scripts/pecr.ts", "opa-serve", "--addr", "127.0.0.1:0", "--bundle", "opa/bundle"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = / at (http:\/\/\S+)\n/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`opa-serve exited with ${code}: ${output}`)));
  });

  const client = createOpaHttpEngine({ url, bundleHash: TEST_BUNDLE_HASH, timeoutMs: 5000 });
  t.teardown(() => client.close());
  t.true(await client.ready());
  const decision = await client.decide(
    sampleInput({ action: "create_session", principal_id: "dev", session_id: null, op_name: null }),
  );
  t.true(decision.allow);

  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  t.is(code, 0, output);
});

test("opa-serve refuses a malformed address with exit code 2", async (t) => {
  const child = spawn(process.execPath, ["--import=tsx", "scripts/pecr.ts", "opa-serve", "--addr", "localhost"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const [code] = await once(child, "exit");
  t.is(code, 2);
  t.regex(stderr, /invalid --addr/);
});

test("opa-serve exits 1 with a message when the bundle cannot be loaded", async (t) => {
  const child = spawn(
    process.execPath,
    ["--import=tsx", "scripts/pecr.ts", "opa-serve", "--addr", "127.0.0.1:0", "--bundle", "opa/no-such-bundle"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const [code] = await once(child, "exit");
  t.is(code, 1);
  t.regex(stderr, /cannot load bundle opa\/no-such-bundle/);
});
