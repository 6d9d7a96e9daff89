/**
 * What leaves the server when an RPC fails, and what the log records: errors always carry a
 * `pecr.v1.ErrorDetail`, internals never reach the client, protovalidate rules and the read limit are
 * enforced, and every RPC log line carries trace_id and request_id.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { PrincipalSchema } from "#gen/pecr/v1/policy_pb.js";
import { ErrorDetailSchema } from "#gen/pecr/v1/error_pb.js";
import { EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { errors } from "#core/errors/pecr-error.js";
import {
  PECR_ERROR_TEXT,
  PLAIN_ERROR_SECRET,
  PLAIN_ERROR_TEXT,
  WHOAMI_TEXT,
  startEchoServer,
} from "./echo-fixture.js";

async function rejection(t: { throwsAsync: (p: Promise<unknown>) => Promise<unknown> }, call: Promise<unknown>) {
  return ConnectError.from(await t.throwsAsync(call));
}

test("a plain Error reaches the client as Internal 'internal error' with ERR_INTERNAL and nothing of its message", async (t) => {
  const { server, logs } = await startEchoServer();
  t.teardown(() => server.close());
  for (const transport of [
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    createGrpcTransport({ baseUrl: server.url }),
  ]) {
    const error = await rejection(t, createClient(EchoService, transport).echo({ text: PLAIN_ERROR_TEXT }));
    t.is(error.code, Code.Internal);
    t.is(error.rawMessage, "internal error");
    t.like(error.findDetails(ErrorDetailSchema)[0], { code: "ERR_INTERNAL", retryable: false });
    const metadata: string[] = [];
    error.metadata.forEach((value, key) => metadata.push(`${key}: ${value}`));
    t.false(JSON.stringify({ m: error.message, d: error.details, metadata }).includes("hunter2"));
  }
  // The cause is logged for operators, with the request's ids.
  const logged = logs.lines.filter((line) => line.msg === "internal error");
  t.is(logged.length, 2);
  for (const line of logged) {
    t.is((line.err as { message: string }).message, PLAIN_ERROR_SECRET);
    t.truthy(line.trace_id);
    t.truthy(line.request_id);
  }
});

test("a PecrError reaches the client with its code, message and ErrorDetail", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
  const error = await rejection(t, client.echo({ text: PECR_ERROR_TEXT }));
  t.is(error.code, Code.ResourceExhausted);
  t.is(error.rawMessage, "budget exceeded");
  const detail = error.findDetails(ErrorDetailSchema)[0];
  t.is(detail?.code, "ERR_BUDGET_EXCEEDED");
  t.is(detail?.terminalModeHint, TerminalMode.INSUFFICIENT_EVIDENCE);
  t.is(detail?.retryable, false);
});

test("a request breaking a protovalidate rule gets InvalidArgument with violations and an ErrorDetail", async (t) => {
  let called = false;
  const { server } = await startEchoServer({
    routes: (router) =>
      router.rpc(GatewayService.method.createSession, () => {
        called = true;
        return {};
      }),
  });
  t.teardown(() => server.close());
  const client = createClient(GatewayService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
  const error = await rejection(t, client.createSession({ budget: { maxRecursionDepth: 21 } }));
  t.is(error.code, Code.InvalidArgument);
  t.is(error.findDetails(ErrorDetailSchema)[0]?.code, "ERR_INVALID_PARAMS");
  const violations = error.findDetails(ViolationsSchema)[0]?.violations ?? [];
  t.is(violations.length, 1);
  t.is(violations[0]?.ruleId, "uint32.lte");
  const missing = await rejection(t, client.createSession({}));
  t.is(missing.code, Code.InvalidArgument);
  t.false(called);
});

test("a request over the read limit gets ResourceExhausted and the server keeps serving", async (t) => {
  const { server } = await startEchoServer({ readMaxBytes: 1024 });
  t.teardown(() => server.close());
  for (const transport of [
    createGrpcTransport({ baseUrl: server.url }),
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  ]) {
    const client = createClient(EchoService, transport);
    const error = await rejection(t, client.echo({ text: "x".repeat(64 * 1024) }));
    t.is(error.code, Code.ResourceExhausted);
    t.is((await client.echo({ text: "small" })).text, "small");
  }
});

test("every RPC log line carries trace_id and request_id, and both are echoed to the client", async (t) => {
  const { server, logs } = await startEchoServer();
  t.teardown(() => server.close());
  const client = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  let headers: Headers | undefined;
  await client.echo(
    { text: "a" },
    {
      headers: { "x-pecr-request-id": "req 1/<script>", "x-pecr-trace-id": "01arz3ndektsv4rrffq69g5fav" },
      onHeader: (h) => (headers = h),
    },
  );
  t.is(headers?.get("x-pecr-request-id"), "req1script");
  t.is(headers?.get("x-pecr-trace-id"), "01ARZ3NDEKTSV4RRFFQ69G5FAV");

  const failure = await rejection(t, client.echo({ text: PECR_ERROR_TEXT }, { headers: { "x-pecr-trace-id": "nope" } }));
  const traceId = failure.metadata.get("x-pecr-trace-id") ?? "";
  t.regex(traceId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  t.regex(failure.metadata.get("x-pecr-request-id") ?? "", /^[0-9A-HJKMNP-TV-Z]{26}$/);

  for await (const _ of client.echoStream({ text: "s", repeat: 2 })) {
    // Drain the stream; its log line is written when it ends.
  }
  const rpcLines = logs.lines.filter((line) => line.logger === "rpc");
  const accessLines = rpcLines.filter((line) => line.msg === "rpc");
  t.deepEqual(
    accessLines.map((line) => [line.procedure, line.code]),
    [
      ["/pecr.testing.v1.EchoService/Echo", "ok"],
      ["/pecr.testing.v1.EchoService/Echo", "resource_exhausted"],
      ["/pecr.testing.v1.EchoService/EchoStream", "ok"],
    ],
  );
  t.true(rpcLines.length >= 3);
  for (const line of rpcLines) {
    t.is(typeof line.trace_id, "string");
    t.is(typeof line.request_id, "string");
  }
  t.is(accessLines[0]?.trace_id, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  t.is(accessLines[1]?.trace_id, traceId);
  // A failure's line says which PECR error it was, in the words the client got; a success's says nothing more.
  t.is(accessLines[1]?.error_code, "ERR_BUDGET_EXCEEDED");
  t.is(accessLines[1]?.error_message, failure.rawMessage);
  t.false("error_code" in accessLines[0]! || "error_message" in accessLines[0]!);
});

test("authentication puts the principal in the context, refuses missing credentials, and skips public services", async (t) => {
  const { server, logs } = await startEchoServer({
    interceptors: {
      authenticate: async ({ header }) => {
        const id = header.get("x-pecr-principal-id");
        if (!id) throw errors.credentialsDenied("missing x-pecr-principal-id header");
        return create(PrincipalSchema, { principalId: id, tenantId: "local" });
      },
    },
    metricsRequireAuth: true,
  });
  t.teardown(() => server.close());
  const client = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
  const res = await client.echo({ text: WHOAMI_TEXT }, { headers: { "x-pecr-principal-id": "alice", authorization: "Bearer s3cr3t" } });
  t.is(res.text, "alice");
  const error = await rejection(t, client.echo({ text: WHOAMI_TEXT }));
  t.is(error.code, Code.Unauthenticated);
  t.is(error.rawMessage, "missing x-pecr-principal-id header");
  t.is(error.findDetails(ErrorDetailSchema)[0]?.code, "ERR_POLICY_DENIED");
  t.true(logs.lines.some((line) => line.msg === "rpc" && line.principal_id === "alice"));
  // The principal is bound to the request's logger once: no line repeats the key.
  t.true(logs.raw.every((line) => (line.match(/"principal_id":/g) ?? []).length <= 1));
  t.false(JSON.stringify(logs.lines).includes("s3cr3t"));

  // Health is public; /metrics is not, when so configured.
  const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
  t.is((await health.check({})).status, HealthCheckResponse_ServingStatus.SERVING);
  const anonymous = await fetch(`${server.url}/metrics`);
  t.is(anonymous.status, 401);
  t.like(await anonymous.json(), { code: "ERR_POLICY_DENIED" });
  const metrics = await fetch(`${server.url}/metrics`, { headers: { "x-pecr-principal-id": "ops" } });
  t.is(metrics.status, 200);
  t.regex(await metrics.text(), /pecr_rpc_server_handled_total\{service="pecr.testing.v1.EchoService",method="Echo",code="ok"\} 1/);
});

/** Sends raw bytes as one binary request over HTTP/2 and returns the status the server ended it with. */
async function sendRawBinary(url: string, protocol: "grpc" | "grpc-web" | "connect", message: Uint8Array) {
  const http2 = await import("node:http2");
  const enveloped = new Uint8Array(5 + message.length);
  new DataView(enveloped.buffer).setUint32(1, message.length);
  enveloped.set(message, 5);
  const contentType = { grpc: "application/grpc+proto", "grpc-web": "application/grpc-web+proto", connect: "application/proto" }[protocol];
  const session = http2.connect(url);
  try {
    return await new Promise<{ status: string; message: string }>((resolve, reject) => {
      const request = session.request({
        ":method": "POST",
        ":path": "/pecr.testing.v1.EchoService/Echo",
        "content-type": contentType,
        ...(protocol === "connect" ? {} : { te: "trailers" }),
      });
      const chunks: Buffer[] = [];
      let headers: Record<string, unknown> = {};
      request.on("response", (received) => (headers = received));
      request.on("trailers", (trailers) => (headers = { ...headers, ...trailers }));
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("error", reject);
      request.on("end", () => {
        const body = Buffer.concat(chunks);
        if (protocol === "connect") {
          const error = JSON.parse(body.toString("utf8")) as { code: string; message: string };
          resolve({ status: error.code, message: error.message });
        } else if (protocol === "grpc-web") {
          // The trailers are the last envelope of the body (flag 0x80), as HTTP/1-style header lines.
          const text = body.subarray(5).toString("utf8");
          resolve({ status: /grpc-status:\s*(\d+)/i.exec(text)?.[1] ?? "", message: decodeURIComponent(/grpc-message:\s*(.*)/i.exec(text)?.[1]?.trim() ?? "") });
        } else {
          resolve({ status: String(headers["grpc-status"]), message: decodeURIComponent(String(headers["grpc-message"] ?? "")) });
        }
      });
      request.end(protocol === "connect" ? message : enveloped);
    });
  } finally {
    session.close();
  }
}

test("a request message that does not decode is InvalidArgument on every protocol, and the server keeps serving", async (t) => {
  const { server, logs } = await startEchoServer();
  t.teardown(() => server.close());
  // Field 1 (text) declared 3 bytes long, holding invalid UTF-8.
  const malformed = new Uint8Array([0x0a, 0x03, 0xff, 0xfe, 0xc0]);
  const expected = String(Code.InvalidArgument);
  t.like(await sendRawBinary(server.url, "grpc", malformed), { status: expected });
  t.like(await sendRawBinary(server.url, "grpc-web", malformed), { status: expected });
  t.like(await sendRawBinary(server.url, "connect", malformed), { status: "invalid_argument" });
  t.regex((await sendRawBinary(server.url, "grpc", new Uint8Array([0]))).message, /^parse binary: /);
  const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
  t.is((await client.echo({ text: "still here" })).text, "still here");
  t.false(logs.lines.some((line) => line.level === "error" || line.level === 50));
});
