/**
 * The OPA client's circuit breaker against a real server whose behaviour the test switches: it opens after
 * the threshold of failed decisions, fails fast while open, and recovers through a single half-open probe.
 * The breaker's clock is injected, so the open window passes without waiting.
 */
import type http from "node:http";
import test, { type ExecutionContext } from "ava";
import { assertFailsClosed, engineFor, policyFailures } from "./assertions.js";
import { type FaultServer, reply, startHttpServer } from "./fault-servers.js";
import { sampleInput } from "./test-engines.js";

type Mode = "fail" | "answer" | "hold";

/** A server that fails, answers or holds each request according to the current mode. */
async function startSwitchableServer() {
  const state = { mode: "fail" as Mode, held: [] as http.ServerResponse[] };
  const answer = (response: http.ServerResponse) =>
    reply(response, 200, { result: { allow: true, cacheable: false, reason: "ok" } });
  const server: FaultServer = await startHttpServer((_request, response) => {
    if (state.mode === "fail") reply(response, 500, { code: "internal_error", message: "down" });
    else if (state.mode === "answer") answer(response);
    else state.held.push(response);
  });
  return {
    server,
    setMode: (mode: Mode) => {
      state.mode = mode;
    },
    releaseHeld: () => state.held.splice(0).forEach(answer),
  };
}

async function setup(t: ExecutionContext) {
  const { server, setMode, releaseHeld } = await startSwitchableServer();
  t.teardown(() => server.close());
  const clock = { now: 0 };
  const engine = engineFor(t, server.url, {
    retryMaxAttempts: 0,
    circuitBreakerFailureThreshold: 3,
    circuitBreakerOpenMs: 1000,
    timeoutMs: 5000,
    now: () => clock.now,
  });
  return { server, setMode, releaseHeld, clock, engine };
}

test("the circuit opens after the threshold of failed decisions and then fails fast without a request", async (t) => {
  const { server, engine } = await setup(t);
  for (let i = 0; i < 3; i += 1) await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.like(engine.stats(), { breakerState: "open", breakerOpens: 1, failures: 3 });
  t.is(server.hits, 3);
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.circuitOpen);
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.circuitOpen);
  t.is(server.hits, 3);
  t.like(engine.stats(), { circuitRejections: 2 });
});

test("a decision that fails after all its retries counts once toward the threshold", async (t) => {
  const { server } = await setup(t);
  const engine = engineFor(t, server.url, { retryMaxAttempts: 2, retryBaseBackoffMs: 1, circuitBreakerFailureThreshold: 2 });
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.like(engine.stats(), { breakerState: "closed", failures: 1, attempts: 3 });
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.like(engine.stats(), { breakerState: "open", failures: 2, attempts: 6 });
});

test("after the open window one probe is let through while other callers fail fast, and its success closes the circuit", async (t) => {
  const { server, setMode, releaseHeld, clock, engine } = await setup(t);
  for (let i = 0; i < 3; i += 1) await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  clock.now = 999;
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.circuitOpen);
  clock.now = 1000;
  t.is(engine.stats().breakerState, "half_open");

  setMode("hold");
  const probe = engine.decide(sampleInput());
  await server.waitForHits(4);
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.circuitOpen);
  t.is(server.hits, 4);

  setMode("answer");
  releaseHeld();
  t.true((await probe).allow);
  t.is(engine.stats().breakerState, "closed");
  t.true((await engine.decide(sampleInput())).allow);
  t.is(server.hits, 5);
});

test("a failed probe re-opens the circuit for another full window", async (t) => {
  const { server, clock, engine } = await setup(t);
  for (let i = 0; i < 3; i += 1) await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  clock.now = 1000;
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.is(server.hits, 4);
  t.like(engine.stats(), { breakerState: "open", breakerOpens: 2 });
  clock.now = 1999;
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.circuitOpen);
  t.is(server.hits, 4);
});

test("a success resets the failure count, so only consecutive failures open the circuit", async (t) => {
  const { setMode, engine } = await setup(t);
  for (let round = 0; round < 3; round += 1) {
    setMode("fail");
    for (let i = 0; i < 2; i += 1) await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
    setMode("answer");
    t.true((await engine.decide(sampleInput())).allow);
  }
  t.like(engine.stats(), { breakerState: "closed", breakerOpens: 0, failures: 6 });
});
