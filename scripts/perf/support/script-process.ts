/**
 * Runs a TypeScript entry point (under tsx) in a child process for benchmarks, so the load generator never
 * shares an event loop with what it loads. Resolves once the child prints a line matching `ready`; from then
 * on its output is drained without being parsed, so a chatty child costs the parent nothing.
 *
 * The child's environment is the parent's without any `PECR_*` variable, plus `env`: a benchmark states the
 * whole configuration of what it starts, and a variable left in the shell cannot change a scenario.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readCpuSeconds, readRssBytes } from "./proc-stats.js";

/** Options of `startScriptProcess`. */
export interface ScriptProcessOptions {
  /** Name for messages (e.g. `gateway`). */
  readonly name: string;
  /** The entry point, relative to the repository root (e.g. `scripts/perf/suite7/processes/echo-process.ts`). */
  readonly script: string;
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Environment added to the parent's (minus its PECR_* variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** A stdout line matching this means ready; its first group is returned as `ready`. */
  readonly ready: RegExp;
  /** Open an IPC channel (`process.send` in the child). */
  readonly ipc?: boolean;
  /** Give up waiting for the ready line after this long, ms; default 60 000. */
  readonly startTimeoutMs?: number;
  /** Also append everything the child writes to stderr to this file (crash reports survive the run). */
  readonly stderrFile?: string;
}

/** A running child. */
export interface ScriptProcess {
  /** The first group of the ready line. */
  readonly ready: string;
  /** The process. */
  readonly child: ChildProcess;
  /** Resident set size in bytes, from /proc. */
  rssBytes(): Promise<number | undefined>;
  /** CPU seconds used so far, from /proc. */
  cpuSeconds(): Promise<number | undefined>;
  /** The last few KiB the child wrote to stderr. */
  stderrTail(): string;
  /** How the child ended, once it has (`exit 1`, `signal SIGKILL`); undefined while it runs. */
  exited(): string | undefined;
  /** Stops it (SIGTERM, then SIGKILL after 5 s); idempotent. */
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const STDERR_TAIL_BYTES = 4096;

/** The parent's environment without PECR_* variables. */
export function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("PECR_")) env[key] = value;
  }
  return env;
}

/** Starts the script and waits for its ready line; rejects (and kills it) if it exits or times out first. */
export async function startScriptProcess(options: ScriptProcessOptions): Promise<ScriptProcess> {
  // PECR_BENCH_NODE_ARGS passes Node flags to the children (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
  const nodeArgs = (process.env.PECR_BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const child = spawn(process.execPath, [...nodeArgs, "--import=tsx", options.script, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...cleanEnvironment(), ...options.env },
    stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
  });
  if (options.stderrFile !== undefined) {
    const file = createWriteStream(options.stderrFile, { flags: "a" });
    // The copy is for diagnosis only: a file that cannot be written must not take the benchmark down.
    file.on("error", (error) => (stderr += `\n(cannot write ${options.stderrFile}: ${error.message})`));
    child.stderr!.pipe(file);
  }
  let ended: string | undefined;
  child.once("exit", (code, signal) => (ended = signal === null ? `exit ${code}` : `signal ${signal}`));
  const lines = createInterface({ input: child.stdout! });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  let ready: string;
  try {
    ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} did not start within ${options.startTimeoutMs ?? 60_000} ms: ${stderr}`)),
        options.startTimeoutMs ?? 60_000,
      );
      lines.on("line", (line) => {
        const match = options.ready.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1] ?? match[0]);
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready: ${stderr}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  lines.close();
  child.stdout!.resume();
  return {
    ready,
    child,
    rssBytes: () => readRssBytes(child.pid),
    cpuSeconds: () => readCpuSeconds(child.pid),
    stderrTail: () => stderr,
    exited: () => ended,
    stop,
  };
}
