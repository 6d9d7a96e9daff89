/**
 * Runs a PECR service (`pecr gateway`, `pecr controller`, `pecr serve`) in a child process for benchmarks, so
 * the load generator does not share the service's event loop. Resolves once the service prints its URL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readCpuSeconds, readRssBytes } from "./proc-stats.js";

/** A running child service. */
export interface ChildService {
  /** The URL it printed. */
  readonly url: string;
  /** The process. */
  readonly process: ChildProcess;
  /** Resident set size of the process in bytes (from /proc), or undefined. */
  rssBytes(): Promise<number | undefined>;
  /** The lines it has printed on stdout so far (e.g. the other addresses of `pecr serve`). */
  stdoutLines(): readonly string[];
  /** CPU time (user + system) the process has used, in seconds, from /proc; undefined where unavailable. */
  cpuSeconds(): Promise<number | undefined>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Starts `pecr <command>` with `env` added to the environment. */
export async function startChildService(command: string, env: Record<string, string>, pattern = /listening on (\S+)/): Promise<ChildService> {
  // PECR_BENCH_NODE_ARGS passes Node flags to the service (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to profile it).
  const nodeArgs = (process.env.PECR_BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const child = spawn(process.execPath, [...nodeArgs, "--import=tsx", "scripts/pecr.ts", command], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const printed: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      // Kept for stdoutLines() (a service prints a few lines, then logs to its logger).
      if (printed.length < 1000) printed.push(line);
      const match = pattern.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`pecr ${command} exited with ${code}: ${stderr.join("").slice(-2000)}`)));
  });
  return {
    url,
    process: child,
    stdoutLines: () => printed,
    rssBytes: () => readRssBytes(child.pid),
    cpuSeconds: () => readCpuSeconds(child.pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await once(child, "exit");
      clearTimeout(timer);
    },
  };
}
