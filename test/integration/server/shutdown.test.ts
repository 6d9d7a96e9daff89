/**
 * Graceful shutdown through one signal: the server stops accepting connections, lets in-flight RPCs finish
 * within the grace period, and cancels what is left after it.
 */
import test from "ava";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { startEchoServer } from "./echo-fixture.js";

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const transports: [string, (url: string) => Transport][] = [
  ["gRPC over HTTP/2", (baseUrl) => createGrpcTransport({ baseUrl })],
  ["Connect over HTTP/1.1", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" })],
];

for (const [name, makeTransport] of transports) {
  test(`shutdown lets an in-flight streaming call finish (${name}) and refuses new connections`, async (t) => {
    const holdSecond = gate();
    const firstSent = gate();
    let handlerSignalAborted = false;
    const { server, logs } = await startEchoServer(
      {},
      {
        beforeStreamMessage: async (index, ctx) => {
          if (index === 2) {
            firstSent.open();
            await holdSecond.opened;
            handlerSignalAborted = ctx.signal.aborted;
          }
        },
      },
    );
    const client = createClient(EchoService, makeTransport(server.url));
    const received: number[] = [];
    const call = (async () => {
      for await (const res of client.echoStream({ text: "x", repeat: 3 })) received.push(res.index);
    })();
    await firstSent.opened;
    const closed = server.close();
    // The listener is closed at once: a new connection is refused while the stream is still running.
    await t.throwsAsync(fetch(`${server.url}/healthz`));
    holdSecond.open();
    await call;
    await closed;
    t.deepEqual(received, [1, 2, 3]);
    t.false(handlerSignalAborted);
    t.false(logs.lines.some((line) => line.msg === "grace period over"));
  });
}

test("after the grace period the server cancels what is still running, tells the client, and closes", async (t) => {
  let handlerSignalAborted = false;
  const started = gate();
  const { server, logs } = await startEchoServer(
    { shutdownGraceMs: 100 },
    {
      beforeStreamMessage: async (index, ctx) => {
        if (index < 2) return;
        started.open();
        // A handler that only stops when told to, and then fails with the reason it was given.
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        handlerSignalAborted = true;
        throw ctx.signal.reason;
      },
    },
  );
  const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
  const call = (async () => {
    for await (const _ of client.echoStream({ text: "x", repeat: 3 })) {
      // Keep reading until the server gives up.
    }
  })();
  await started.opened;
  await server.close();
  const error = ConnectError.from(await t.throwsAsync(call));
  t.is(error.code, Code.Unavailable);
  t.is(error.rawMessage, "server shutting down");
  t.true(handlerSignalAborted);
  t.true(logs.lines.some((line) => line.msg === "grace period over"));
});

test("aborting the shutdown signal closes the server", async (t) => {
  const shutdown = new AbortController();
  const { server } = await startEchoServer({ shutdownSignal: shutdown.signal });
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  shutdown.abort();
  await server.close();
  await t.throwsAsync(fetch(`${server.url}/healthz`));
});

test("many calls in flight at once raise no listener-leak warning, and shutdown still reaches every one", async (t) => {
  // Each call's handler signal listens on the server's shutdown signal until the call ends: 40 calls in flight
  // are 40 listeners on one signal, which is load, not a leak.
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on("warning", onWarning);
  t.teardown(() => process.off("warning", onWarning));
  const inFlight = 40;
  const allHeld = gate();
  let held = 0;
  let aborted = 0;
  const { server } = await startEchoServer(
    { shutdownGraceMs: 100 },
    {
      beforeStreamMessage: async (index, ctx) => {
        if (index < 2) return;
        if (++held === inFlight) allHeld.open();
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        aborted++;
        throw ctx.signal.reason;
      },
    },
  );
  const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
  const calls = Array.from({ length: inFlight }, async () => {
    for await (const _ of client.echoStream({ text: "x", repeat: 3 })) {
      // Held by the server until it shuts down.
    }
  });
  await allHeld.opened;
  await server.close();
  const outcomes = await Promise.allSettled(calls);
  t.is(outcomes.filter((outcome) => outcome.status === "rejected").length, inFlight);
  t.is(aborted, inFlight);
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(warnings.filter((warning) => warning.startsWith("MaxListenersExceededWarning")), []);
});
