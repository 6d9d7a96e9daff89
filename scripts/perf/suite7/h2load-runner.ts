/**
 * The transport limit measured by h2load (nghttp2's HTTP/2 load generator, written in C, so the client is never
 * the bottleneck): a closed loop of gRPC unary calls with a prepared request body (the 5-byte gRPC frame header
 * plus the protobuf message) against a URL. h2load only checks HTTP statuses, and gRPC errors travel in
 * trailers with status 200, so the body is first sent once over node:http2 and must come back with
 * `grpc-status: 0`. h2load prints no percentiles: mean and max are reported.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import http2 from "node:http2";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";

const run = promisify(execFile);

/** What h2load measured. */
export interface H2loadResult {
  /** Requests completed. */
  readonly requests: number;
  /** Requests that failed (HTTP level). */
  readonly failed: number;
  /** Requests per second. */
  readonly throughput: number;
  /** Mean and max time per request, ms. */
  readonly meanMs: number;
  readonly maxMs: number;
  /** Clients (connections) and streams per client. */
  readonly clients: number;
  readonly streams: number;
}

/** The gRPC length-prefixed frame of `message`. */
export function grpcFrame<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Buffer {
  const payload = toBinary(schema, message);
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(payload.length, 1);
  Buffer.from(payload).copy(frame, 5);
  return frame;
}

/** Whether h2load is installed. */
export async function h2loadAvailable(): Promise<boolean> {
  return run("h2load", ["--version"]).then(
    () => true,
    () => false,
  );
}

/** Sends `body` to `url` once over HTTP/2 as a gRPC call; resolves with the grpc-status it ended with. */
export async function grpcStatusOf(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<string | undefined> {
  const target = new URL(url);
  const session = http2.connect(target.origin);
  try {
    return await new Promise<string | undefined>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": target.pathname,
        "content-type": "application/grpc",
        te: "trailers",
        ...headers,
      });
      let status: string | undefined;
      stream.on("response", (responseHeaders) => (status = (responseHeaders["grpc-status"] as string | undefined) ?? status));
      stream.on("trailers", (trailers) => (status = (trailers["grpc-status"] as string | undefined) ?? status));
      stream.on("error", reject);
      stream.on("close", () => resolve(status));
      stream.resume();
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

function toMs(value: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value ?? "");
  if (!match) return Number.NaN;
  const amount = Number(match[1]);
  return match[2] === "us" ? amount / 1000 : match[2] === "ms" ? amount : amount * 1000;
}

/** Parses h2load's report. */
export function parseH2load(output: string, clients: number, streams: number): H2loadResult {
  const rate = /finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(output);
  const counts = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(output);
  const times = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(output);
  if (!rate || !counts || !times) throw new Error(`unexpected h2load output:\n${output}`);
  return {
    requests: Number(counts[1]),
    failed: Number(counts[3]),
    throughput: Number(rate[1]),
    meanMs: toMs(times[3]),
    maxMs: toMs(times[2]),
    clients,
    streams,
  };
}

/** h2load's window for `ms`: whole seconds (its unit), at least one. */
export function h2loadSeconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}

/** What an h2load run of gRPC unary calls sends, and for how long. */
export interface H2loadGrpcRun {
  /** The method's URL. */
  readonly url: string;
  /** File holding the gRPC frame sent as every request's body. */
  readonly bodyFile: string;
  /** Connections, and concurrent streams on each. */
  readonly clients: number;
  readonly streams: number;
  /** Measured duration and warm-up, ms. */
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Headers besides the gRPC ones. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Where h2load writes one line per request (`--log-file`). */
  readonly logFile?: string;
}

/** The h2load command line of `run`: a closed loop of gRPC unary calls (content-type and `te: trailers` set). */
export function h2loadGrpcArgs(run: H2loadGrpcRun): string[] {
  return [
    ...["-c", String(run.clients), "-m", String(run.streams), "-D", `${h2loadSeconds(run.durationMs)}s`],
    ...(run.warmupMs > 0 ? ["--warm-up-time", `${h2loadSeconds(run.warmupMs)}s`] : []),
    ...["-d", run.bodyFile],
    ...(run.logFile === undefined ? [] : ["--log-file", run.logFile]),
    ...["-H", "content-type: application/grpc", "-H", "te: trailers"],
    ...Object.entries(run.headers ?? {}).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    run.url,
  ];
}

/**
 * h2load's clients (connections) and streams per client for `concurrency` requests in flight over at most
 * `connections` connections. h2load keeps clients x streams requests in flight, so the product must be exactly
 * the virtual users of the Node load generator it is compared with: in a closed loop the number in flight sets
 * both throughput and latency (12 in flight against 10 users would flatter neither side). Where `concurrency`
 * does not divide evenly, fewer connections are used (10 over 4 becomes 2 x 5): the connection count matters
 * less to a one-process server than the requests it has to serve at once.
 */
export function h2loadSplit(concurrency: number, connections: number): { clients: number; streams: number } {
  const wanted = Math.max(1, Math.floor(concurrency));
  let clients = Math.max(1, Math.min(Math.floor(connections), wanted));
  while (wanted % clients !== 0) clients--;
  return { clients, streams: wanted / clients };
}

/** Options of `runH2load`. */
export interface H2loadOptions {
  /** The method's URL (`http://127.0.0.1:port/pkg.Service/Method`). */
  readonly url: string;
  /** The gRPC frame to send. */
  readonly body: Buffer;
  /** Concurrent requests in all (clients x streams, exactly; see `h2loadSplit`). */
  readonly concurrency: number;
  /** Connections at most. */
  readonly connections: number;
  /** Measured duration and warm-up, ms. */
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Where to write the body file. */
  readonly workDir: string;
}

/** Runs h2load; rejects if the body does not make a successful gRPC call. */
export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const status = await grpcStatusOf(options.url, options.body);
  if (status !== "0") throw new Error(`the prepared gRPC request to ${options.url} ended with grpc-status ${status}`);
  const bodyFile = join(options.workDir, "h2load-body.bin");
  await writeFile(bodyFile, options.body);
  const { clients, streams } = h2loadSplit(options.concurrency, options.connections);
  const args = h2loadGrpcArgs({ ...options, clients, streams, bodyFile });
  const { stdout } = await run("h2load", args, { maxBuffer: 1024 * 1024 });
  return parseH2load(stdout, clients, streams);
}
