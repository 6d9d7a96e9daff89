/**
 * The limits PECR is measured against, on the same machine:
 * - the transport: `pecr.testing.v1.EchoService` in its own process, served by our bootstrap (`startServer`)
 *   and by a bare connect-node HTTP/2 server, loaded by the same Node load generator and virtual users as the
 *   PECR baselines, and by h2load with a prepared gRPC body (a client that is not the bottleneck);
 * - the ledger: raw single-row INSERT throughput into a table shaped like the events table, without chain or
 *   triggers, as measured by scripts/perf/ledger-bench.ts on the same backend (run as a child process).
 */
import { execFile } from "node:child_process";
import { create } from "@bufbuild/protobuf";
import { join } from "node:path";
import { promisify } from "node:util";
import { EchoRequestSchema, EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { startScriptProcess } from "../support/script-process.js";
import { serviceLogEnv } from "./processes/service-logger.js";
import { observe } from "./call-outcome.js";
import { createClientPool } from "./load-clients.js";
import { type ScenarioResult, always, check, runScenario } from "./scenario-result.js";
import type { SuiteOptions } from "./suite-options.js";
import { type H2loadResult, grpcFrame, h2loadAvailable, runH2load } from "./h2load-runner.js";

const run = promisify(execFile);

/** The echo servers compared. */
export const ECHO_MODES = ["bootstrap", "bare"] as const;

/** One echo server's figures. */
export interface EchoLimit {
  /** `bootstrap` (our server bootstrap) or `bare` (connect-node alone). */
  readonly mode: (typeof ECHO_MODES)[number];
  /** The Node load generator's run. */
  readonly load: ScenarioResult;
  /** h2load's run, or why there is none. */
  readonly h2load: H2loadResult | { readonly skipped: string };
  /** The server's RSS after the runs, bytes. */
  readonly rssBytes: number | undefined;
}

/** Raw INSERT and group-commit append rates of the ledger backend (events per second). */
export interface LedgerLimit {
  /** `postgres` or `pglite (on disk)`. */
  readonly backend: string;
  /** Plain INSERTs per second. */
  readonly rawInsertsPerSecond: number;
  /** The ledger's group-committed appends per second. */
  readonly groupCommitPerSecond: number | undefined;
  /** The command that measured it. */
  readonly command: string;
}

/**
 * Loads both echo servers. The bootstrap one logs to `logDir` at the services' level, as the PECR services do,
 * so the comparison includes what our bootstrap costs per request (access logs included).
 */
export async function runEchoLimits(options: SuiteOptions, workDir: string, logDir: string, log: (line: string) => void): Promise<EchoLimit[]> {
  const limits: EchoLimit[] = [];
  const withH2load = await h2loadAvailable();
  const body = grpcFrame(EchoRequestSchema, create(EchoRequestSchema, { text: "hello" }));
  for (const mode of ECHO_MODES) {
    log(`limit: echo (${mode})`);
    const server = await startScriptProcess({
      name: `echo (${mode})`,
      script: "scripts/perf/suite7/processes/echo-process.ts",
      args: [mode],
      env: serviceLogEnv(join(logDir, `echo-${mode}.log`), options.logLevel),
      ready: /^echo listening on (\S+)/,
    });
    try {
      const pool = createClientPool(EchoService, server.ready, Math.min(options.users, options.connections));
      const { result } = await runScenario({
        name: `echo_${mode}`,
        group: "limit",
        users: options.users,
        durationMs: options.limitDurationMs,
        warmupMs: options.warmupMs,
        deadlineMs: options.gatewayDeadlineMs,
        expectedLabel: "echo",
        expected: always(TerminalMode.SUPPORTED),
        // An echo has no terminal mode: a correct answer counts as the expected one.
        request: (user, iteration, signal) => {
          const text = `vu${user}-${iteration}`;
          return observe(
            () => pool.forUser(user).echo({ text }, { signal }),
            (response) => ({ mode: response.text === text ? TerminalMode.SUPPORTED : TerminalMode.UNSPECIFIED }),
          );
        },
      });
      check(result, "every echo answered correctly", result.wrongMode === 0 && result.requests > 0, `${result.wrongMode} wrong of ${result.requests}`);
      const h2load = withH2load
        ? await runH2load({
            url: `${server.ready}/${EchoService.typeName}/Echo`,
            body,
            concurrency: options.users,
            connections: options.connections,
            durationMs: options.limitDurationMs,
            warmupMs: options.warmupMs,
            workDir,
          })
        : { skipped: "h2load is not installed (Debian package nghttp2-client)" };
      limits.push({ mode, load: result, h2load, rssBytes: await server.rssBytes() });
    } finally {
      await server.stop();
    }
  }
  return limits;
}

/** Parses the rate of `mode` (a row label of ledger-bench's table) for `backend`. */
function ledgerRate(output: string, backend: string, mode: RegExp): number | undefined {
  for (const line of output.split("\n")) {
    if (!line.startsWith(backend)) continue;
    const rest = line.slice(backend.length).trim();
    if (!mode.test(rest)) continue;
    const figure = /\s([\d,]+)\s+(?:\d+%)?\s*$/.exec(line);
    if (figure) return Number(figure[1]!.replaceAll(",", ""));
  }
  return undefined;
}

/** Runs ledger-bench on the suite's backend and reads its raw INSERT and group-commit rates. */
export async function runLedgerLimit(options: SuiteOptions, events: number): Promise<LedgerLimit> {
  const args = ["--import=tsx", "scripts/perf/ledger-bench.ts", "--events", String(events), "--runs", "1", "--verify-events", "0"];
  if (options.dbUrl !== undefined) args.push("--skip-pglite", "--db-url", options.dbUrl);
  const backend = options.dbUrl === undefined ? "pglite (on disk)" : "postgres";
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1024 * 1024, env: { ...process.env, PECR_BENCH_DB_URL: "", PECR_TEST_DB_URL: "" } });
  const raw = ledgerRate(stdout, backend, /^raw INSERT/);
  if (raw === undefined) throw new Error(`ledger-bench printed no raw INSERT rate for ${backend}:\n${stdout}`);
  return {
    backend,
    rawInsertsPerSecond: raw,
    groupCommitPerSecond: ledgerRate(stdout, backend, /^append, group commit/),
    command: `npx tsx scripts/perf/ledger-bench.ts ${args.slice(2).join(" ").replace(options.dbUrl ?? "\u0000", "$PECR_DB_URL")}`,
  };
}
