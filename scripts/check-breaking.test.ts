/**
 * The breaking-change gate on a scratch repository: a renamed field fails it, an added field passes, and a
 * repository with one commit has nothing to compare with.
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const script = join(root, "scripts", "check-breaking.ts");
const tsx = join(root, "node_modules", ".bin", "tsx");

function sh(cwd: string, command: string, ...args: string[]) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, PECR_BREAKING_AGAINST: "" } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A git repository holding this project's buf.yaml and protos, committed once. */
function scratchRepo(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "pecr-breaking-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, "buf.yaml"), join(dir, "buf.yaml"));
  cpSync(join(root, "proto"), join(dir, "proto"), { recursive: true });
  sh(dir, "git", "init", "-q", "-b", "main");
  sh(dir, "git", "-c", "user.name=ci", "-c", "user.email=ci@localhost", "commit", "-q", "--allow-empty", "-m", "empty");
  sh(dir, "git", "add", ".");
  sh(dir, "git", "-c", "user.name=ci", "-c", "user.email=ci@localhost", "commit", "-q", "-m", "protos");
  return dir;
}

function commitEdit(dir: string, edit: (text: string) => string) {
  const file = join(dir, "proto", "pecr", "v1", "budget.proto");
  writeFileSync(file, edit(readFileSync(file, "utf8")));
  sh(dir, "git", "-c", "user.name=ci", "-c", "user.email=ci@localhost", "commit", "-q", "-am", "edit");
}

test("renaming a field fails the gate, naming the field", (t) => {
  const dir = scratchRepo(t);
  commitEdit(dir, (text) => text.replace("max_operator_calls =", "operator_call_limit ="));
  const result = sh(dir, tsx, script);
  t.not(result.status, 0);
  t.regex(result.output, /changed name from "max_operator_calls" to "operator_call_limit"/);
});

test("adding a field passes the gate", (t) => {
  const dir = scratchRepo(t);
  commitEdit(dir, (text) => text.replace(/(message Budget \{\n)/, "$1  // A field added later.\n  string added_later = 99;\n"));
  const result = sh(dir, tsx, script);
  t.is(result.status, 0, result.output);
  t.regex(result.output, /buf breaking: against [0-9a-f]{40}/);
});

test("a single commit has nothing to compare with", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pecr-breaking-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  sh(dir, "git", "init", "-q", "-b", "main");
  sh(dir, "git", "-c", "user.name=ci", "-c", "user.email=ci@localhost", "commit", "-q", "--allow-empty", "-m", "first");
  const result = sh(dir, tsx, script);
  t.is(result.status, 0);
  t.regex(result.output, /no earlier commit/);
});
