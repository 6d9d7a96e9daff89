/**
 * TLS on the same single port: ALPN picks HTTP/2 or HTTP/1.1, and with `requestCert` clients must present a
 * certificate signed by the configured CA (mTLS).
 */
import test from "ava";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import * as https from "node:https";
import { join } from "node:path";
import { EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { TRANSPORT_TEXT, startEchoServer } from "./echo-fixture.js";
import { type TestCertificates, createTestCertificates } from "./test-certificates.js";

let certs: TestCertificates;

test.before(async () => {
  certs = await createTestCertificates();
});

test.after.always(async () => {
  await certs?.remove();
});

/** GET over HTTP/1.1 with TLS; resolves with status, body and the negotiated ALPN protocol. */
function httpsGet(url: string, options: https.RequestOptions): Promise<{ status: number; body: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...options, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, alpn: (res.socket as import("node:tls").TLSSocket).alpnProtocol }),
      );
    });
    req.on("error", reject);
  });
}

test("with TLS, Connect over HTTP/2 and HTTP/1.1 and gRPC are served on one port", async (t) => {
  const { server } = await startEchoServer({ tls: { certPath: join(certs.dir, "server.crt"), keyPath: join(certs.dir, "server.key") } });
  t.teardown(() => server.close());
  t.regex(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = certs.caCert;
  const h2 = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "2", nodeOptions: { ca } }));
  t.is((await h2.echo({ text: "h2" })).text, "h2");
  const h1 = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { ca } }));
  t.is((await h1.echo({ text: "h1" })).text, "h1");
  const grpc = createClient(EchoService, createGrpcTransport({ baseUrl: server.url, nodeOptions: { ca } }));
  t.is((await grpc.echo({ text: "grpc" })).text, "grpc");
  const probe = await httpsGet(`${server.url}/healthz`, { ca });
  t.deepEqual(probe, { status: 200, body: "ok", alpn: false });
  const untrusted = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
  await t.throwsAsync(untrusted.echo({ text: "no ca" }));
});

test("with mTLS, a client without a certificate from the CA is refused and one with it is served", async (t) => {
  const { server } = await startEchoServer({
    tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, requestCert: true },
  });
  t.teardown(() => server.close());
  const ca = certs.caCert;
  const anonymous = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "2", nodeOptions: { ca } }));
  await t.throwsAsync(anonymous.echo({ text: "anonymous" }));
  await t.throwsAsync(httpsGet(`${server.url}/healthz`, { ca }));
  const withCert = { ca, cert: certs.clientCert, key: certs.clientKey };
  const client = createClient(EchoService, createConnectTransport({ baseUrl: server.url, httpVersion: "2", nodeOptions: withCert }));
  t.is((await client.echo({ text: "mtls" })).text, "mtls");
  t.like(JSON.parse((await client.echo({ text: TRANSPORT_TEXT })).text), {
    httpVersion: "2.0",
    encrypted: true,
    clientCertificateAuthorized: true,
  });
  t.is((await httpsGet(`${server.url}/healthz`, withCert)).body, "ok");
});
