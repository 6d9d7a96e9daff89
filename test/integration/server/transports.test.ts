/**
 * The bootstrap serves one port to every kind of client: connect-node (Connect over HTTP/2 and HTTP/1.1,
 * gRPC, gRPC-Web), @grpc/grpc-js, curl with JSON over HTTP/1.1, and buf curl knowing the API only through
 * server reflection.
 */
import test from "ava";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  type EchoRequest,
  EchoRequestSchema,
  type EchoResponse,
  EchoResponseSchema,
  EchoService,
} from "#gen/pecr/testing/v1/echo_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { TRANSPORT_TEXT, startEchoServer } from "./echo-fixture.js";

const run = promisify(execFile);
/** The buf binary of the installed @bufbuild/buf package (npx would add its own start-up noise). */
const bufBinary = join("node_modules", ".bin", "buf");

test("a Connect client over HTTP/2 gets an answer", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const client = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
  const res = await client.echo({ text: "hello" });
  t.is(res.text, "hello");
});

test("a Connect client over HTTP/1.1 gets an answer", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const client = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  const res = await client.echo({ text: "hello" });
  t.is(res.text, "hello");
  t.like(JSON.parse((await client.echo({ text: TRANSPORT_TEXT })).text), { httpVersion: "1.1", encrypted: false });
});

test("a gRPC client over HTTP/2 gets a stream", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
  const got: number[] = [];
  for await (const res of client.echoStream({ text: "x", repeat: 3 })) got.push(res.index);
  t.deepEqual(got, [1, 2, 3]);
});

test("a gRPC-Web client over HTTP/1.1 gets an answer", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const client = createClient(EchoService, createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  const res = await client.echo({ text: "web" });
  t.is(res.text, "web");
});

test("@grpc/grpc-js calls Echo over h2c", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const methods = {
    echo: {
      path: "/pecr.testing.v1.EchoService/Echo",
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: EchoRequest) => Buffer.from(toBinary(EchoRequestSchema, value)),
      requestDeserialize: (bytes: Buffer) => fromBinary(EchoRequestSchema, bytes),
      responseSerialize: (value: EchoResponse) => Buffer.from(toBinary(EchoResponseSchema, value)),
      responseDeserialize: (bytes: Buffer) => fromBinary(EchoResponseSchema, bytes),
    },
  } satisfies grpc.ServiceDefinition;
  const Client = grpc.makeGenericClientConstructor(methods, "EchoService");
  const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const res = await new Promise<EchoResponse>((resolve, reject) => {
    client.makeUnaryRequest(
      methods.echo.path,
      methods.echo.requestSerialize,
      methods.echo.responseDeserialize,
      create(EchoRequestSchema, { text: "from grpc-js" }),
      (error: grpc.ServiceError | null, value?: EchoResponse) => (error || !value ? reject(error) : resolve(value)),
    );
  });
  t.is(res.text, "from grpc-js");
});

test("curl over HTTP/1.1 with JSON calls Echo", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const { stdout } = await run("curl", [
    "--silent",
    "--http1.1",
    "--header",
    "Content-Type: application/json",
    "--data",
    '{"text":"from curl"}',
    `${server.url}/pecr.testing.v1.EchoService/Echo`,
  ]);
  t.deepEqual(JSON.parse(stdout), { text: "from curl" });
});

for (const reflectProtocol of ["grpc-v1", "grpc-v1alpha"]) {
  test(`buf curl lists the services through reflection (${reflectProtocol})`, async (t) => {
    const { server } = await startEchoServer();
    t.teardown(() => server.close());
    const { stdout } = await run(bufBinary, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--reflect-protocol",
      reflectProtocol,
      "--list-services",
      server.url,
    ]);
    t.deepEqual(stdout.trim().split("\n").sort(), [
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "pecr.testing.v1.EchoService",
    ]);
  });

  test(`buf curl calls Echo with only reflection to describe it (${reflectProtocol})`, async (t) => {
    const { server } = await startEchoServer();
    t.teardown(() => server.close());
    const { stdout } = await run(bufBinary, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--reflect-protocol",
      reflectProtocol,
      "--data",
      '{"text":"via reflection"}',
      `${server.url}/pecr.testing.v1.EchoService/Echo`,
    ]);
    t.deepEqual(JSON.parse(stdout), { text: "via reflection" });
  });
}

test("buf curl calls a service whose files import others (dependencies resolved through reflection)", async (t) => {
  const { server } = await startEchoServer({
    routes: (router) => router.rpc(GatewayService.method.createSession, () => ({ sessionId: "s-1", traceId: "t-1" })),
  });
  t.teardown(() => server.close());
  const { stdout } = await run(bufBinary, [
    "curl",
    "--protocol",
    "grpc",
    "--http2-prior-knowledge",
    "--data",
    '{"budget":{"maxOperatorCalls":5},"asOfTime":"2026-01-01T00:00:00Z"}',
    `${server.url}/pecr.gateway.v1.GatewayService/CreateSession`,
  ]);
  t.like(JSON.parse(stdout), { sessionId: "s-1", traceId: "t-1" });
});

test("large requests arriving in many chunks are served on both protocols (peeked bytes are not lost)", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const text = "0123456789abcdef".repeat(128 * 1024);
  for (const transport of [
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    createConnectTransport({ baseUrl: server.url, httpVersion: "2" }),
    createGrpcTransport({ baseUrl: server.url }),
  ]) {
    t.is((await createClient(EchoService, transport).echo({ text })).text.length, text.length);
  }
});

test("connections that close early or speak neither protocol do not disturb the server", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const exchange = (bytes: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(server.port, "127.0.0.1", () => socket.end(bytes));
      let received = "";
      socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
      socket.on("close", () => resolve(received));
      socket.on("error", () => resolve(received));
    });
  t.is(await exchange("PRI * HTTP/2.0\r\n"), "");
  t.is(await exchange(""), "");
  t.regex(await exchange("\x16\x03\x01garbage-that-is-not-http\r\n\r\n"), /^HTTP\/1\.1 400/);
  const client = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
  t.is((await client.echo({ text: "still here" })).text, "still here");
});
