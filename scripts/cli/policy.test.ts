import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test from "ava";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

async function pecr(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ["--import=tsx", "scripts/pecr.ts", "policy", ...args], { cwd: ROOT });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "" };
  }
}

async function tempDir(t: { teardown(f: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pecr-policy-cli-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("`pecr policy test` runs every test rule and ends with the N passed, N failed line", async (t) => {
  const { code, stdout } = await pecr(["test", "opa"]);
  const lines = stdout.trim().split("\n");
  t.is(code, 0);
  t.regex(lines[lines.length - 1] ?? "", /^\d+ passed, 0 failed$/);
  t.true(lines.some((l) => l.startsWith("PASS data.pecr.authz_test.test_support_may_not_redact")));
});

test("`pecr policy test` exits 1 when a test fails", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "p.rego"), "package x\n\ntest_ok if true\n\ntest_broken if 1 == 2\n");
  const { code, stdout } = await pecr(["test", dir]);
  t.is(code, 1);
  t.true(stdout.includes("FAIL data.x.test_broken"));
  t.is(stdout.trim().split("\n").pop(), "1 passed, 1 failed");
});

test("`pecr policy eval` prints the decision for an input file", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "input.json");
  await writeFile(file, JSON.stringify({ action: "audit", principal_id: "auditor", tenant_id: "t-1", roles: [] }));
  const { code, stdout } = await pecr(["eval", "--input", file, "--bundle", "opa/bundle"]);
  t.is(code, 0);
  t.deepEqual(JSON.parse(stdout), { allow: true, cacheable: false, reason: "audit_auditor", redaction: {} });
});

test("`pecr policy conformance` prints the per-folder table and the totals line", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "demo"));
  // JSON is YAML: the cases file is written as JSON to keep the Rego sources exact.
  const cases = [
    { note: "demo/passes", query: "data.t.p = x", modules: ["package t\n\np := 1"], want_result: [{ x: 1 }] },
    { note: "demo/wrong answer", query: "data.t.p = x", modules: ["package t\n\np := 2"], want_result: [{ x: 1 }] },
    { note: "demo/unsupported", query: "data.t.p = x", modules: ["package t\n\np := http.send({})"], want_result: [{ x: 1 }] },
  ];
  await writeFile(join(dir, "demo", "cases.yaml"), JSON.stringify({ cases }));
  const { code, stdout } = await pecr(["conformance", dir]);
  const lines = stdout.trim().split("\n");
  t.is(code, 1);
  t.regex(lines.find((l) => l.startsWith("demo")) ?? "", /^demo\s+1\s+1\s+1$/);
  t.is(lines[lines.length - 1], "1 passed, 1 failed, 1 skipped");
});
