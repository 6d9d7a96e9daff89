/**
 * The whole interceptor chain over the in-memory router transport: ids, access log, metrics, error mapping,
 * authentication and validation, for unary calls and for streams that fail half-way.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { Writable } from "node:stream";
import { errors } from "#core/errors/pecr-error.js";
import { createLogger } from "#core/observability/logger.js";
import { createAppMetrics } from "#core/observability/metrics.js";
import { EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { ErrorDetailSchema } from "#gen/pecr/v1/error_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { PrincipalSchema } from "#gen/pecr/v1/policy_pb.js";
import { type Authenticate, requirePrincipal } from "./authentication.js";
import { kLogger, kPrincipal, kRequestId, kTraceId } from "./context-values.js";
import { createInterceptorChain } from "./interceptor-chain.js";

function setup(routes: (router: ConnectRouter) => void, authenticate?: Authenticate, publicProcedures?: string[]) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      callback();
    },
  });
  const metrics = createAppMetrics();
  const interceptors = createInterceptorChain({
    logger: createLogger({ service: "test", destination }),
    metrics,
    ...(authenticate ? { authenticate } : {}),
    ...(publicProcedures ? { publicProcedures } : {}),
  });
  return { lines, metrics, transport: createRouterTransport(routes, { router: { interceptors } }) };
}

const failingStream = (router: ConnectRouter) =>
  router.service(EchoService, {
    echo: (_req, ctx) => ({ text: `${ctx.values.get(kRequestId)}|${ctx.values.get(kTraceId)}` }),
    async *echoStream(req, ctx) {
      ctx.values.get(kLogger).info("handler line");
      yield { text: req.text, index: 1 };
      throw new Error("disk on fire");
    },
  });

test("handlers see the request and trace ids the client sent (sanitised) and the client gets them back", async (t) => {
  const { transport } = setup(failingStream);
  let headers: Headers | undefined;
  const res = await createClient(EchoService, transport).echo(
    { text: "" },
    { headers: { "x-pecr-request-id": "abc 123", "x-pecr-trace-id": "01hnzx8jgfacfa36rbxdheqn6e" }, onHeader: (h) => (headers = h) },
  );
  t.is(res.text, "abc123|01HNZX8JGFACFA36RBXDHEQN6E");
  t.is(headers?.get("x-pecr-request-id"), "abc123");
  t.is(headers?.get("x-pecr-trace-id"), "01HNZX8JGFACFA36RBXDHEQN6E");
});

test("an error half-way through a stream is mapped, logged with ids, and counted with its final code", async (t) => {
  const { transport, lines, metrics } = setup(failingStream);
  const got: string[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const res of createClient(EchoService, transport).echoStream({ text: "a", repeat: 2 })) got.push(res.text);
  });
  t.deepEqual(got, ["a"]);
  const connectError = ConnectError.from(error);
  t.is(connectError.code, Code.Internal);
  t.is(connectError.rawMessage, "internal error");
  t.is(connectError.findDetails(ErrorDetailSchema)[0]?.code, "ERR_INTERNAL");
  const access = lines.find((line) => line.msg === "rpc");
  t.like(access, { procedure: "/pecr.testing.v1.EchoService/EchoStream", code: "internal" });
  t.true(lines.some((line) => line.msg === "internal error" && (line.err as { message: string }).message === "disk on fire"));
  for (const line of lines) {
    t.truthy(line.trace_id, String(line.msg));
    t.truthy(line.request_id, String(line.msg));
  }
  t.regex(
    await metrics.render(),
    /pecr_rpc_server_handled_total\{service="pecr\.testing\.v1\.EchoService",method="EchoStream",code="internal"\} 1/,
  );
});

test("a PecrError with a cause is sent without the cause and the cause is logged", async (t) => {
  const { transport, lines } = setup((router) =>
    router.service(EchoService, {
      echo: () => {
        throw errors.ledgerUnavailable({ cause: new Error("connection refused 10.0.0.7:5432") });
      },
    }),
  );
  const error = ConnectError.from(await t.throwsAsync(createClient(EchoService, transport).echo({ text: "" })));
  t.is(error.code, Code.Unavailable);
  t.is(error.rawMessage, "ledger unavailable");
  t.like(error.findDetails(ErrorDetailSchema)[0], { code: "ERR_LEDGER_UNAVAILABLE", retryable: true });
  t.false(JSON.stringify(error.details).includes("10.0.0.7"));
  t.true(lines.some((line) => line.level === "warn" && JSON.stringify(line.err).includes("10.0.0.7")));
});

test("authentication runs for private RPCs only and its refusal is mapped and counted as unauthenticated", async (t) => {
  const calls: string[] = [];
  const authenticate: Authenticate = async (request) => {
    calls.push(request.procedure);
    if (request.header.get("x-pecr-principal-id") !== "alice") throw errors.authRequired("missing local auth secret");
    return create(PrincipalSchema, { principalId: "alice" });
  };
  const { transport, metrics } = setup(
    (router) =>
      router.service(EchoService, {
        echo: (_req, ctx) => ({ text: requirePrincipal(ctx.values).principalId }),
        async *echoStream(_req, ctx) {
          yield { text: ctx.values.get(kPrincipal)?.principalId ?? "anonymous", index: 1 };
        },
      }),
    authenticate,
    ["/pecr.testing.v1.EchoService/EchoStream"],
  );
  const client = createClient(EchoService, transport);
  t.is((await client.echo({ text: "" }, { headers: { "x-pecr-principal-id": "alice" } })).text, "alice");
  const error = ConnectError.from(await t.throwsAsync(client.echo({ text: "" })));
  t.is(error.code, Code.Unauthenticated);
  t.is(error.findDetails(ErrorDetailSchema)[0]?.code, "ERR_AUTH_REQUIRED");
  for await (const res of client.echoStream({ text: "", repeat: 1 })) t.is(res.text, "anonymous");
  t.deepEqual(calls, ["/pecr.testing.v1.EchoService/Echo", "/pecr.testing.v1.EchoService/Echo"]);
  t.regex(await metrics.render(), /method="Echo",code="unauthenticated"\} 1/);
});

test("requirePrincipal fails closed with Unauthenticated when a handler that needs a caller has none", async (t) => {
  const { transport } = setup((router) =>
    router.service(EchoService, { echo: (_req, ctx) => ({ text: requirePrincipal(ctx.values).principalId }) }),
  );
  const error = ConnectError.from(await t.throwsAsync(createClient(EchoService, transport).echo({ text: "" })));
  t.is(error.code, Code.Unauthenticated);
  t.is(error.findDetails(ErrorDetailSchema)[0]?.code, "ERR_AUTH_REQUIRED");
});

test("validation rejects a request breaking a proto rule before the handler runs, with an ErrorDetail", async (t) => {
  let called = false;
  const { transport } = setup((router) =>
    router.rpc(GatewayService.method.createSession, () => {
      called = true;
      return {};
    }),
  );
  const client = createClient(GatewayService, transport);
  const error = ConnectError.from(await t.throwsAsync(client.createSession({ budget: { maxParallelism: 0 } })));
  t.is(error.code, Code.InvalidArgument);
  t.is(error.findDetails(ErrorDetailSchema)[0]?.code, "ERR_INVALID_PARAMS");
  t.false(called);
  await client.createSession({ budget: { maxParallelism: 256, maxOperatorCalls: 10000 } });
  t.true(called);
});
