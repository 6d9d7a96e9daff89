/**
 * Reading h2load's report and building the gRPC request body it sends.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { EchoRequestSchema } from "#gen/pecr/testing/v1/echo_pb.js";
import { grpcFrame, h2loadGrpcArgs, h2loadSplit, parseH2load } from "./h2load-runner.js";

const REPORT = `starting benchmark...
spawning thread #0: 4 total client(s). Timing-based test with 1s warm-up time and 4s main duration
finished in 4.00s, 6043.25 req/s, 380.89KB/s
requests: 24173 total, 24183 started, 24173 done, 24170 succeeded, 3 failed, 0 errored, 0 timeout
status codes: 24173 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 1.49MB (1560180) total, 219.14KB (224400) headers (space savings 95.13%), 472.12KB (483460) data
                     min         max         mean         sd        +/- sd
time for request:      207us     32.46ms      1.65ms       718us    89.11%
time for connect:      141us       344us       237us        79us    75.00%
time to 1st byte:     2.08ms      3.47ms      2.61ms       610us    75.00%
req/s           :    1501.10     1521.63     1510.81        8.93    50.00%
`;

test("h2load's throughput, completed and failed requests, mean and max latency are read from its report", (t) => {
  t.deepEqual(parseH2load(REPORT, 4, 3), { requests: 24173, failed: 3, throughput: 6043.25, meanMs: 1.65, maxMs: 32.46, clients: 4, streams: 3 });
});

test("a report without the expected lines is an error, not zeros", (t) => {
  t.throws(() => parseH2load("connect to 127.0.0.1 failed", 1, 1), { message: /unexpected h2load output/ });
});

test("the gRPC frame is an uncompressed flag, a big-endian length and the message bytes", (t) => {
  const frame = grpcFrame(EchoRequestSchema, create(EchoRequestSchema, { text: "hello" }));
  t.deepEqual([...frame], [0, 0, 0, 0, 7, 0x0a, 5, ...Buffer.from("hello")]);
});

test("the command line is a timed gRPC closed loop: whole seconds, warm-up only when asked, extra headers and log file", (t) => {
  const url = "http://127.0.0.1:1/pecr.testing.v1.EchoService/Echo";
  t.deepEqual(h2loadGrpcArgs({ url, bodyFile: "b.bin", clients: 4, streams: 3, durationMs: 4400, warmupMs: 0 }), [
    ...["-c", "4", "-m", "3", "-D", "4s", "-d", "b.bin"],
    ...["-H", "content-type: application/grpc", "-H", "te: trailers", url],
  ]);
  t.deepEqual(
    h2loadGrpcArgs({ url, bodyFile: "b.bin", clients: 1, streams: 1, durationMs: 200, warmupMs: 1600, logFile: "r.log", headers: { "x-pecr-session-token": "t" } }),
    [
      ...["-c", "1", "-m", "1", "-D", "1s", "--warm-up-time", "2s", "-d", "b.bin", "--log-file", "r.log"],
      ...["-H", "content-type: application/grpc", "-H", "te: trailers", "-H", "x-pecr-session-token: t", url],
    ],
  );
});

test("h2load keeps exactly as many requests in flight as the virtual users, over at most the connections given", (t) => {
  t.deepEqual(h2loadSplit(10, 4), { clients: 2, streams: 5 });
  t.deepEqual(h2loadSplit(12, 4), { clients: 4, streams: 3 });
  t.deepEqual(h2loadSplit(7, 4), { clients: 1, streams: 7 });
  t.deepEqual(h2loadSplit(2, 4), { clients: 2, streams: 1 });
  for (const users of [1, 10, 50, 200]) {
    const { clients, streams } = h2loadSplit(users, 4);
    t.is(clients * streams, users);
    t.true(clients <= 4);
  }
});
