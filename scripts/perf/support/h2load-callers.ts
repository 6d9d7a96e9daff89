/**
 * Closed-loop callers driven by h2load (nghttp2's HTTP/2 load generator, written in C) instead of Node clients:
 * one h2load process per caller, one connection and one stream each, so each caller has its own session token
 * and request body and waits for each answer before sending the next, as the Node load generator does. A Node
 * client costs about as much CPU per call as the gateway's transport does, and on a small machine it takes that
 * CPU from the service it measures; h2load costs a fraction of it.
 *
 * h2load sees HTTP statuses only, and gRPC errors arrive in trailers with status 200. So every caller's prepared
 * call is first made once over node:http2 and must end with `grpc-status: 0`, and the caller of `runH2loadCallers`
 * checks the outcome of every call on the server side (the gateway's operator-call counters).
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { grpcStatusOf, h2loadGrpcArgs, h2loadSeconds } from "../suite7/h2load-runner.js";

const run = promisify(execFile);

/** One caller: its request body (a gRPC frame) and headers. */
export interface H2loadCaller {
  /** The length-prefixed gRPC message it sends every time. */
  readonly body: Buffer;
  /** Headers added to every request (session token, principal). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Options of a run. */
export interface H2loadCallersOptions {
  /** The method's URL (`http://127.0.0.1:port/pkg.Service/Method`). */
  readonly url: string;
  /** The callers, one h2load process each. */
  readonly callers: readonly H2loadCaller[];
  /** Measured duration and unmeasured warm-up, ms (h2load counts whole seconds). */
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Where the body and log files go. */
  readonly workDir: string;
}

/** What the callers measured. */
export interface H2loadCallersResult {
  /** Latency of every request that ended with HTTP 200 in the measured window, ms. */
  readonly latencies: number[];
  /** Requests that failed at the HTTP level (status other than 200, or a reset stream). */
  readonly failed: number;
  /** Requests in flight when h2load's time was up, reset by h2load itself (at most one per caller). */
  readonly cut: number;
  /** The measured window, ms. */
  readonly elapsedMs: number;
}

/**
 * Parses an h2load `--log-file` (`start_us \t status \t duration_us` per request, in the order they ended). Two
 * rows are h2load's own bookkeeping, not outcomes: the request in flight when the warm-up ended is logged first,
 * with status 0 (its response status was read before the log started); the stream in flight when the time is
 * up is reset by h2load and logged last with status -1. Neither counts as measured: the first is skipped and the
 * last is counted as `cut`.
 */
export function parseRequestLog(text: string): { latencies: number[]; failed: number; cut: number } {
  let rows = text.split("\n").filter((line) => line.trim() !== "").map((line) => line.split("\t"));
  if (rows[0]?.[1] === "0") rows = rows.slice(1);
  const cut = rows.at(-1)?.[1] === "-1" ? 1 : 0;
  const latencies: number[] = [];
  let failed = 0;
  for (const [, status, durationUs] of rows.slice(0, rows.length - cut)) {
    const micros = Number(durationUs);
    if (status === "200" && Number.isFinite(micros)) latencies.push(micros / 1000);
    else failed++;
  }
  return { latencies, failed, cut };
}

/** Runs every caller's h2load at once for the same window; rejects if a prepared call does not succeed. */
export async function runH2loadCallers(options: H2loadCallersOptions): Promise<H2loadCallersResult> {
  const prepared = await Promise.all(
    options.callers.map(async (caller, index) => {
      const status = await grpcStatusOf(options.url, caller.body, { ...caller.headers });
      if (status !== "0") throw new Error(`caller ${index}'s prepared gRPC request to ${options.url} ended with grpc-status ${status}`);
      const bodyFile = join(options.workDir, `h2load-caller-${index}.bin`);
      const logFile = join(options.workDir, `h2load-caller-${index}.log`);
      await writeFile(bodyFile, caller.body);
      return { caller, bodyFile, logFile };
    }),
  );
  await Promise.all(
    prepared.map(({ caller, bodyFile, logFile }) =>
      run("h2load", h2loadGrpcArgs({ ...options, clients: 1, streams: 1, bodyFile, logFile, headers: caller.headers }), { maxBuffer: 1024 * 1024 }),
    ),
  );
  const latencies: number[] = [];
  let failed = 0;
  let cut = 0;
  for (const { logFile } of prepared) {
    const log = parseRequestLog(await readFile(logFile, "utf8"));
    latencies.push(...log.latencies);
    failed += log.failed;
    cut += log.cut;
  }
  return { latencies, failed, cut, elapsedMs: h2loadSeconds(options.durationMs) * 1000 };
}
