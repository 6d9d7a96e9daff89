/**
 * h2load-driven callers: their request logs, and a real run against an HTTP/2 server that checks each caller's
 * own header and body.
 */
import test from "ava";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { h2loadAvailable } from "../suite7/h2load-runner.js";
import { parseRequestLog, runH2loadCallers } from "./h2load-callers.js";

test("a request log gives the latency of each 200 and counts every other status, reset streams (-1) included", (t) => {
  const log = ["1700000000000000\t200\t1500", "1700000000001000\t200\t250", "1700000000002000\t-1\t900", "1700000000003000\t503\t10", ""].join("\n");
  t.deepEqual(parseRequestLog(log), { latencies: [1.5, 0.25], failed: 2, cut: 0 });
});

test("the stream h2load resets when its time is up (a trailing -1) is cut, not failed", (t) => {
  const log = ["1700000000000000\t200\t1500", "1700000000002000\t-1\t900", "1700000000003000\t-1\t10"].join("\n");
  t.deepEqual(parseRequestLog(log), { latencies: [1.5], failed: 1, cut: 1 });
  t.deepEqual(parseRequestLog(""), { latencies: [], failed: 0, cut: 0 });
});

test("the request that straddled the end of the warm-up (a leading status 0) is not measured; a later 0 is a failure", (t) => {
  const log = ["1700000000000000\t0\t40183", "1700000000002000\t200\t900", "1700000000003000\t0\t10", "1700000000004000\t200\t700"].join("\n");
  t.deepEqual(parseRequestLog(log), { latencies: [0.9, 0.7], failed: 1, cut: 0 });
});

/** A gRPC-shaped server answering grpc-status 0 only when the body names the caller its header names. */
async function callerCheckingServer(t: import("ava").ExecutionContext): Promise<{ url: string; served: Map<string, number> }> {
  const served = new Map<string, number>();
  const server = http2.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const caller = String(request.headers["x-caller"]);
      const ok = Buffer.concat(chunks).subarray(5).toString() === caller;
      if (ok) served.set(caller, (served.get(caller) ?? 0) + 1);
      response.writeHead(200, { "content-type": "application/grpc" });
      response.addTrailers({ "grpc-status": ok ? "0" : "3" });
      response.end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/test.Service/Call`, served };
}

function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

test("each caller sends its own body and headers in a closed loop after a warm-up, and every measured request is logged", async (t) => {
  if (!(await h2loadAvailable())) return t.fail("h2load is not installed (Debian package nghttp2-client)");
  const { url, served } = await callerCheckingServer(t);
  const workDir = await mkdtemp(join(tmpdir(), "pecr-h2load-callers-"));
  t.teardown(() => rm(workDir, { recursive: true, force: true }));
  const callers = ["alpha", "beta", "gamma"].map((name) => ({ body: frame(name), headers: { "x-caller": name } }));
  const result = await runH2loadCallers({ url, callers, durationMs: 1000, warmupMs: 1000, workDir });
  t.is(result.failed, 0);
  t.true(result.latencies.length > 10, `${result.latencies.length} requests`);
  t.deepEqual([...served.keys()].sort(), ["alpha", "beta", "gamma"]);
  // The prepared call of each caller, then the logged ones (the server may also see a few cut at the window's end).
  const total = [...served.values()].reduce((sum, count) => sum + count, 0);
  t.true(total >= result.latencies.length + callers.length, `${total} served, ${result.latencies.length} logged`);
});

test("a caller whose prepared call does not succeed stops the run before any load", async (t) => {
  if (!(await h2loadAvailable())) return t.fail("h2load is not installed (Debian package nghttp2-client)");
  const { url, served } = await callerCheckingServer(t);
  const workDir = await mkdtemp(join(tmpdir(), "pecr-h2load-callers-"));
  t.teardown(() => rm(workDir, { recursive: true, force: true }));
  const callers = [
    { body: frame("alpha"), headers: { "x-caller": "alpha" } },
    { body: frame("beta"), headers: { "x-caller": "not-beta" } },
  ];
  await t.throwsAsync(runH2loadCallers({ url, callers, durationMs: 1000, warmupMs: 0, workDir }), { message: /caller 1's prepared gRPC request .* grpc-status 3/ });
  t.true((served.get("alpha") ?? 0) <= 1);
});
