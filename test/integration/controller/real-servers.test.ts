/**
 * The controller on a real server calling the (fake) gateway on another real server over HTTP/2: every client
 * kind reaches Run and RunStream, the probes and metrics answer, a gateway that went away is a clean Unavailable,
 * and the gateway link works over TLS with a client certificate.
 */
import test from "ava";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { ControllerService, type RunStreamResponse } from "#gen/pecr/controller/v1/controller_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { createTestPki } from "../auth/support/test-pki.js";
import { as } from "./support/controller-harness.js";
import { closedPort, serveController, serveFakeGateway } from "./support/servers.js";

const QUESTION = "What are the support hours?";

async function pair(t: import("ava").ExecutionContext, env: Record<string, string> = {}) {
  const gateway = await serveFakeGateway();
  t.teardown(() => gateway.server.close());
  const served = await serveController({ PECR_GATEWAY_URL: gateway.server.url, ...env });
  t.teardown(() => served.controller.close());
  return { gateway, ...served };
}

test("Connect over HTTP/2, gRPC and gRPC-Web clients all get a SUPPORTED answer", async (t) => {
  const { url, gateway } = await pair(t);
  const transports = {
    connect: createConnectTransport({ baseUrl: url, httpVersion: "2" }),
    connectHttp1: createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
    grpc: createGrpcTransport({ baseUrl: url }),
    grpcWeb: createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }),
  };
  for (const [name, transport] of Object.entries(transports)) {
    const res = await createClient(ControllerService, transport).run({ query: QUESTION }, as("dev"));
    t.is(res.terminalMode, TerminalMode.SUPPORTED, name);
    t.is(res.responseText, "Support hours are 09:00 to 17:00 UTC, Monday to Friday.", name);
  }
  // The gateway saw the controller's Connect calls with their deadlines.
  t.true(gateway.fake.requests.every((request) => request.timeoutMs !== undefined && request.timeoutMs > 0));
});

test("RunStream over gRPC streams events and ends with the result", async (t) => {
  const { url } = await pair(t);
  const client = createClient(ControllerService, createGrpcTransport({ baseUrl: url }));
  const kinds: RunStreamResponse["event"]["case"][] = [];
  for await (const event of client.runStream({ query: QUESTION }, as("dev"))) kinds.push(event.event.case);
  t.is(kinds[0], "sessionStarted");
  t.deepEqual(kinds.slice(-2), ["finalize", "result"]);
  t.true(kinds.includes("operatorCall"));
  t.true(kinds.includes("evidence"));
});

test("readyz reports the gateway and auth checks; metrics carry the controller counters", async (t) => {
  const { url } = await pair(t);
  const ready = await fetch(`${url}/readyz`);
  t.is(ready.status, 200);
  t.deepEqual(await ready.json(), { status: "ready", checks: { auth: true, gateway: true } });
  const client = createClient(ControllerService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
  await client.run({ query: QUESTION }, as("dev"));
  const metrics = await (await fetch(`${url}/metrics`)).text();
  t.regex(metrics, /^pecr_controller_terminal_modes_total\{terminal_mode="SUPPORTED"\} 1$/m);
  t.regex(metrics, /^pecr_controller_loop_iterations_total 2$/m);
  t.regex(metrics, /^pecr_controller_budget_violations_total 0$/m);
  t.regex(metrics, /pecr_rpc_server_handled_total\{service="pecr.controller.v1.ControllerService",method="Run",code="ok"\} 1/);
});

test("a gateway that is not listening makes Run Unavailable and the controller not ready", async (t) => {
  const port = await closedPort();
  const served = await serveController({ PECR_GATEWAY_URL: `http://127.0.0.1:${port}` });
  t.teardown(() => served.controller.close());
  const client = createClient(ControllerService, createConnectTransport({ baseUrl: served.url, httpVersion: "2" }));
  const error = ConnectError.from(await t.throwsAsync(client.run({ query: QUESTION }, as("dev"))));
  t.is(error.code, Code.Unavailable);
  t.is(error.rawMessage, "gateway request failed");
  t.is(findErrorDetail(error)?.code, "ERR_SOURCE_UNAVAILABLE");
  const ready = await fetch(`${served.url}/readyz`);
  t.is(ready.status, 503);
  t.like(await ready.json(), { checks: { gateway: false } });
});

test("the gateway link works over TLS with a client certificate, and fails closed without one", async (t) => {
  const pki = await createTestPki();
  t.teardown(() => pki.remove());
  const gateway = await serveFakeGateway({}, {
    tls: { certPath: pki.serverCert, keyPath: pki.serverKey, caPath: pki.caCert, requestCert: true },
  });
  t.teardown(() => gateway.server.close());
  const url = gateway.server.url.replace("http://", "https://");
  t.true(url.startsWith("https://"));

  const withCert = await serveController({
    PECR_GATEWAY_URL: url,
    PECR_GATEWAY_CA_PATH: pki.caCert,
    PECR_GATEWAY_CLIENT_CERT_PATH: pki.clientCert,
    PECR_GATEWAY_CLIENT_KEY_PATH: pki.clientKey,
  });
  t.teardown(() => withCert.controller.close());
  const good = createClient(ControllerService, createConnectTransport({ baseUrl: withCert.url, httpVersion: "2" }));
  t.is((await good.run({ query: QUESTION }, as("dev"))).terminalMode, TerminalMode.SUPPORTED);

  const withoutCert = await serveController({ PECR_GATEWAY_URL: url, PECR_GATEWAY_CA_PATH: pki.caCert });
  t.teardown(() => withoutCert.controller.close());
  const bad = createClient(ControllerService, createConnectTransport({ baseUrl: withoutCert.url, httpVersion: "2" }));
  const error = ConnectError.from(await t.throwsAsync(bad.run({ query: QUESTION }, as("dev"))));
  t.is(error.code, Code.Unavailable);
  t.is(findErrorDetail(error)?.code, "ERR_SOURCE_UNAVAILABLE");
});

test("an https gateway URL is required for gateway TLS settings", async (t) => {
  const pki = await createTestPki();
  t.teardown(() => pki.remove());
  const error = await t.throwsAsync(
    serveController({ PECR_GATEWAY_URL: "http://127.0.0.1:1", PECR_GATEWAY_CA_PATH: pki.caCert }),
  );
  t.regex(error?.message ?? "", /https:\/\/ PECR_GATEWAY_URL/);
});

test("a RunStream client that leaves mid-run cancels the run's gateway calls without harming the server", async (t) => {
  const { url, gateway } = await pair(t);
  let cancelled!: () => void;
  const gatewaySawCancel = new Promise<void>((resolve) => (cancelled = resolve));
  gateway.fake.hooks.beforeOperator = (_params, ctx) =>
    new Promise<void>((resolve) =>
      ctx.signal.addEventListener(
        "abort",
        () => {
          cancelled();
          resolve();
        },
        { once: true },
      ),
    );
  const client = createClient(ControllerService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
  const leaving = new AbortController();
  const error = await t.throwsAsync(async () => {
    for await (const event of client.runStream({ query: QUESTION }, { ...as("dev"), signal: leaving.signal })) {
      if (event.event.case === "sessionStarted") leaving.abort();
    }
  });
  t.is(ConnectError.from(error).code, Code.Canceled);
  await gatewaySawCancel;
  // The server keeps answering.
  gateway.fake.hooks.beforeOperator = undefined;
  const res = await client.run({ query: QUESTION }, as("dev"));
  t.is(res.terminalMode, TerminalMode.SUPPORTED);
});
