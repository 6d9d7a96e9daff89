/**
 * `npm test`: the whole gate, in order: the lockfile installs, typecheck, buf lint and format, generated-code
 * freshness, vendored protos, breaking proto changes, then every ava test (unit, integration, e2e). ava runs with
 * its TAP reporter; this script prints one line per test and ends with the plain summary `N passed, N failed`
 * that CI reads (ava prints none). Each check before ava counts as one test. Extra arguments are passed to ava
 * (e.g. a file glob).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
}

/** Path of an installed package binary (avoids npx's start-up cost and noise). */
const bin = (name: string) => join("node_modules", ".bin", name);

const tally: Tally = { passed: 0, failed: 0, skipped: 0, todo: 0 };
const avaArgs = process.argv.slice(2);

/** Runs a command, streaming its output; resolves to its exit code. */
function run(command: string, args: string[], onLine?: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", onLine ? "pipe" : "inherit", "inherit"] });
    if (onLine && child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function check(name: string, command: string, args: string[]): Promise<void> {
  const code = await run(command, args);
  if (code === 0) {
    tally.passed++;
    console.log(`✔ check: ${name}`);
  } else {
    tally.failed++;
    console.log(`✘ check: ${name} (exit ${code})`);
  }
}

/** Reads ava's TAP stream: counts results, prints one line per test and the diagnostics of failures. */
function tapLine(line: string): void {
  const result = /^(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/.exec(line);
  if (result) {
    const [, status, title, directive] = result;
    if (directive === "SKIP") {
      tally.skipped++;
      console.log(`- ${title} (skipped)`);
    } else if (directive === "TODO") {
      tally.todo++;
      console.log(`- ${title} (todo)`);
    } else if (status === "ok") {
      tally.passed++;
      console.log(`✔ ${title}`);
    } else {
      tally.failed++;
      console.log(`✘ ${title}`);
    }
    return;
  }
  // Diagnostics, test output and ava's own messages (uncaught errors, timeouts) are shown as they come.
  if (!/^(TAP version|# (tests|pass|fail|skip|todo) |1\.\.\d+$)/.test(line) && line.trim() !== "") {
    console.log(`  ${line}`);
  }
}

if (avaArgs.length === 0) {
  // The lockfile must install from scratch (a lock missing a platform's optional package fails only in `npm ci`).
  await check("package-lock.json installs (npm ci --dry-run)", "npm", ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]);
  await check("typecheck (tsc --noEmit)", bin("tsc"), [ "--noEmit", "-p", "tsconfig.json"]);
  await check("buf lint", bin("buf"), ["lint"]);
  await check("buf format", bin("buf"), ["format", "-d", "--exit-code", "--path", "proto/pecr"]);
  await check("gen/ is fresh", bin("tsx"), ["scripts/check-generated.ts"]);
  await check("vendored protos unchanged", bin("tsx"), ["scripts/check-vendored.ts"]);
  await check("no breaking proto change (buf breaking)", bin("tsx"), ["scripts/check-breaking.ts"]);
}
const avaCode = await run(bin("ava"), ["--tap", ...avaArgs], tapLine);
if (avaCode !== 0 && tally.failed === 0) {
  // ava failed without a failing test (a crash, a timeout, no tests matched): never report green.
  tally.failed++;
  console.log(`✘ ava exited with code ${avaCode}`);
}
const extras = [tally.skipped ? `${tally.skipped} skipped` : "", tally.todo ? `${tally.todo} todo` : ""].filter(Boolean);
if (extras.length > 0) console.log(`(${extras.join(", ")})`);
console.log(`${tally.passed} passed, ${tally.failed} failed`);
process.exitCode = tally.failed === 0 ? 0 : 1;
