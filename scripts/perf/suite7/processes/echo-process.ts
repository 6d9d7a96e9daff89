/**
 * The transport limit: `pecr.testing.v1.EchoService` in its own process, served either by our bootstrap
 * (`echo-process.ts bootstrap`: services/core/server's `startServer`, with the protocol front, the interceptor
 * chain, metrics and access logs, unauthenticated) or by a bare connect-node HTTP/2 server without any of it
 * (`echo-process.ts bare`). Prints `echo listening on <url>`.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createAppMetrics } from "#core/observability/metrics.js";
import { startServer } from "#core/server/server.js";
import { EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { createServiceLogger, terminationSignal } from "./service-logger.js";

const routes = (router: ConnectRouter) => {
  router.service(EchoService, {
    echo: (request) => ({ text: request.text }),
    async *echoStream(request) {
      for (let index = 1; index <= Math.min(request.repeat, 100); index++) yield { text: request.text, index };
    },
  });
};

const mode = process.argv[2];
if (mode === "bootstrap") {
  const { logger, flush } = createServiceLogger("echo");
  const server = await startServer({ service: "echo", routes, logger, metrics: createAppMetrics(), port: 0 });
  console.log(`echo listening on ${server.url}`);
  await terminationSignal();
  await server.close();
  await flush();
} else if (mode === "bare") {
  const server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  console.log(`echo listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await terminationSignal();
  await new Promise<void>((resolve) => server.close(() => resolve()));
} else {
  console.error("usage: echo-process.ts bootstrap|bare");
  process.exitCode = 2;
}
