/**
 * The plain HTTP routes (`/healthz`, `/readyz`, `/metrics`), the gRPC health service and CORS, on a real server.
 */
import test from "ava";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "#gen/grpc/health/v1/health_pb.js";
import { EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { startEchoServer } from "./echo-fixture.js";

test("/healthz answers ok as text/plain", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  const res = await fetch(`${server.url}/healthz`);
  t.is(res.status, 200);
  t.regex(res.headers.get("content-type") ?? "", /^text\/plain/);
  t.is(await res.text(), "ok");
});

test("/readyz answers ready with sorted checks, and 503 not_ready when a check fails", async (t) => {
  let postgres = true;
  const { server } = await startEchoServer({ readiness: async () => ({ postgres, ledger: true, opa: true }) });
  t.teardown(() => server.close());
  const ready = await fetch(`${server.url}/readyz`);
  t.is(ready.status, 200);
  t.is(await ready.text(), '{"status":"ready","checks":{"ledger":true,"opa":true,"postgres":true}}');
  postgres = false;
  const notReady = await fetch(`${server.url}/readyz`);
  t.is(notReady.status, 503);
  t.is(await notReady.text(), '{"status":"not_ready","checks":{"ledger":true,"opa":true,"postgres":false}}');
});

test("/readyz answers not_ready when the checks throw or hang", async (t) => {
  const failing = await startEchoServer({ readiness: () => Promise.reject(new Error("ledger down")) });
  t.teardown(() => failing.server.close());
  const hanging = await startEchoServer({ readiness: () => new Promise(() => {}), readinessTimeoutMs: 50 });
  t.teardown(() => hanging.server.close());
  for (const { server } of [failing, hanging]) {
    const res = await fetch(`${server.url}/readyz`);
    t.is(res.status, 503);
    t.deepEqual(await res.json(), { status: "not_ready", checks: {} });
  }
  const logged = failing.logs.lines.find((line) => line.msg === "readiness checks failed");
  t.truthy(logged?.trace_id);
  t.truthy(logged?.request_id);
});

test("/metrics renders the app registry with the RPC metrics and service metrics added through the hook", async (t) => {
  const { server, metrics } = await startEchoServer();
  t.teardown(() => server.close());
  const sessions = metrics.counter({ name: "pecr_test_sessions_total", help: "Sessions." });
  sessions.inc(3);
  const client = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  await client.echo({ text: "a" });
  await client.echo({ text: "b" });
  const res = await fetch(`${server.url}/metrics`);
  t.is(res.status, 200);
  t.regex(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  t.regex(text, /^pecr_rpc_server_handled_total\{service="pecr\.testing\.v1\.EchoService",method="Echo",code="ok"\} 2$/m);
  t.regex(text, /^pecr_rpc_server_handling_seconds_bucket\{le="0\.005",service="pecr\.testing\.v1\.EchoService",method="Echo",code="ok"\} \d+$/m);
  t.regex(text, /^pecr_rpc_server_handling_seconds_bucket\{le="10",/m);
  t.regex(text, /^pecr_test_sessions_total 3$/m);
});

test("unknown plain paths get 404 and non-GET probes 405", async (t) => {
  const { server } = await startEchoServer();
  t.teardown(() => server.close());
  t.is((await fetch(`${server.url}/nope`)).status, 404);
  t.is((await fetch(`${server.url}/healthz`, { method: "POST" })).status, 405);
});

test("health Check answers SERVING, NOT_SERVING when not ready, and NotFound for an unknown service", async (t) => {
  let ready = true;
  const { server } = await startEchoServer({ readiness: async () => ({ ledger: ready }) });
  t.teardown(() => server.close());
  const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
  t.is((await health.check({})).status, Status.SERVING);
  t.is((await health.check({ service: "pecr.testing.v1.EchoService" })).status, Status.SERVING);
  const listed = await health.list({});
  t.deepEqual(Object.keys(listed.statuses).sort(), [
    "",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "pecr.testing.v1.EchoService",
  ]);
  ready = false;
  t.is((await health.check({})).status, Status.NOT_SERVING);
  const error = await t.throwsAsync(health.check({ service: "no.such.Service" }));
  t.is(ConnectError.from(error).code, Code.NotFound);
});

test("health Watch sends the current status, then NOT_SERVING and the end of the stream when the server drains", async (t) => {
  const { server } = await startEchoServer();
  const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
  const seen: Status[] = [];
  for await (const res of health.watch({})) {
    seen.push(res.status);
    if (seen.length === 1) void server.close();
  }
  t.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);
  await server.close();
});

test("a CORS preflight from an allowed origin gets Connect's and PECR's header lists; another origin gets none", async (t) => {
  const { server } = await startEchoServer({ corsAllowedOrigins: ["https://console.example"] });
  t.teardown(() => server.close());
  const url = `${server.url}/pecr.testing.v1.EchoService/Echo`;
  const preflight = (origin: string) =>
    fetch(url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,connect-protocol-version,x-pecr-session-token",
      },
    });
  const allowed = await preflight("https://console.example");
  t.is(allowed.status, 204);
  t.is(allowed.headers.get("access-control-allow-origin"), "https://console.example");
  t.regex(allowed.headers.get("access-control-allow-methods") ?? "", /POST/);
  const allowHeaders = (allowed.headers.get("access-control-allow-headers") ?? "").split(", ");
  for (const header of ["Content-Type", "Connect-Protocol-Version", "X-Grpc-Web", "x-pecr-session-token", "authorization"]) {
    t.true(allowHeaders.includes(header), header);
  }
  t.truthy(allowed.headers.get("access-control-max-age"));

  const other = await preflight("https://evil.example");
  t.is(other.status, 403);
  t.is(other.headers.get("access-control-allow-origin"), null);
  t.is(other.headers.get("access-control-allow-headers"), null);

  const call = await fetch(url, {
    method: "POST",
    headers: { origin: "https://console.example", "content-type": "application/json" },
    body: '{"text":"cors"}',
  });
  t.is(call.status, 200);
  t.is(call.headers.get("access-control-allow-origin"), "https://console.example");
  const exposed = call.headers.get("access-control-expose-headers") ?? "";
  t.regex(exposed, /Grpc-Status/);
  t.regex(exposed, /x-pecr-request-id/);
  const foreign = await fetch(url, {
    method: "POST",
    headers: { origin: "https://evil.example", "content-type": "application/json" },
    body: '{"text":"cors"}',
  });
  t.is(foreign.headers.get("access-control-allow-origin"), null);
});

test("with `*` configured any origin is allowed", async (t) => {
  const { server } = await startEchoServer({ corsAllowedOrigins: ["*"] });
  t.teardown(() => server.close());
  const res = await fetch(`${server.url}/pecr.testing.v1.EchoService/Echo`, {
    method: "OPTIONS",
    headers: { origin: "https://anything.example", "access-control-request-method": "POST" },
  });
  t.is(res.status, 204);
  t.is(res.headers.get("access-control-allow-origin"), "*");
});
