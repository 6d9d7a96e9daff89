/**
 * The OPA client against real misbehaving servers on port 0: every fault fails closed with the exact error,
 * transient faults are retried with backoff, a 4xx is not, and the caller's signal aborts at once.
 */
import test from "ava";
import { assertFailsClosed, engineFor, policyFailures } from "./assertions.js";
import { refusingUrl, reply, responders, startHttpServer, startSilentServer } from "./fault-servers.js";
import { sampleInput } from "./test-engines.js";

// Short backoff keeps the tests quick; a generous timeout keeps a loaded machine from turning a slow answer
// into an extra attempt. The timeout tests set their own.
const FAST = { timeoutMs: 5000, retryBaseBackoffMs: 1 } as const;

test("a refused connection fails closed as unavailable after every attempt", async (t) => {
  const engine = engineFor(t, await refusingUrl(), FAST);
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.like(engine.stats(), { attempts: 3, retries: 2, failures: 1 });
});

test("a server that accepts but never answers times out on each of the three attempts", async (t) => {
  const server = await startSilentServer();
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, { ...FAST, timeoutMs: 250 });
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.timeout);
  t.is(server.connections, 3);
  t.like(engine.stats(), { attempts: 3, timeouts: 3, failures: 1 });
});

test("a 500 is retried with exponential backoff and then fails closed as unavailable", async (t) => {
  const server = await startHttpServer(responders.serverError);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, { retryBaseBackoffMs: 40, retryMaxAttempts: 2 });
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.is(server.hits, 3);
  const [first = 0, second = 0, third = 0] = server.arrivals;
  // Jitter is pinned to its ceiling, so the gaps are at least 40 ms then 80 ms (minus timer rounding).
  t.true(second - first >= 38, `first gap ${second - first} ms`);
  t.true(third - second >= 78, `second gap ${third - second} ms`);
});

test("the number of attempts follows the retry setting", async (t) => {
  const server = await startHttpServer(responders.serverError);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, { ...FAST, retryMaxAttempts: 5 });
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.is(server.hits, 6);
});

test("a server slower than the timeout fails closed as a timeout", async (t) => {
  const server = await startHttpServer(responders.slow(10_000));
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, { ...FAST, timeoutMs: 250 });
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.timeout);
  // A timed-out attempt abandons its connection, so each retry arrives on a new one.
  t.is(server.hits, 3);
  t.is(server.connections, 3);
  t.like(engine.stats(), { attempts: 3, timeouts: 3 });
});

test("a body that is not JSON is retried and then fails closed as unavailable", async (t) => {
  const server = await startHttpServer(responders.invalidJson);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, FAST);
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.is(server.hits, 3);
});

test("an undefined document (no result) is retried and then fails closed as unavailable", async (t) => {
  const server = await startHttpServer(responders.noResult);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, FAST);
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.is(server.hits, 3);
});

test("a response body over the size limit is retried and then fails closed as unavailable", async (t) => {
  const server = await startHttpServer((_request, response) =>
    reply(response, 200, { result: { allow: true, reason: "x".repeat(4096) } }),
  );
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, { ...FAST, maxResponseBytes: 1024 });
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.is(server.hits, 3);
});

test("a 4xx is not retried and fails closed as unavailable", async (t) => {
  const server = await startHttpServer(responders.badRequest);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, FAST);
  await assertFailsClosed(t, engine.decide(sampleInput()), policyFailures.unavailable);
  t.is(server.hits, 1);
  t.like(engine.stats(), { attempts: 1, retries: 0, failures: 1 });
});

test("a malformed redaction in an answered decision is a deny, not an error", async (t) => {
  const server = await startHttpServer(responders.malformedRedaction);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, FAST);
  const decision = await engine.decide(sampleInput());
  t.false(decision.allow);
  t.is(decision.reason, "invalid_policy_decision");
  t.is(server.hits, 1);
  t.like(engine.stats(), { failures: 0 });
});

test("a transient failure followed by an answer yields the answer", async (t) => {
  const server = await startHttpServer((request, response, index, body) =>
    index === 0
      ? responders.serverError(request, response, index, body)
      : reply(response, 200, { result: { allow: true, cacheable: false, reason: "ok" } }),
  );
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, FAST);
  const decision = await engine.decide(sampleInput());
  t.true(decision.allow);
  t.is(decision.reason, "ok");
  t.is(server.hits, 2);
  t.like(engine.stats(), { attempts: 2, retries: 1, failures: 0 });
});

test("the caller's signal aborts a hanging attempt at once and is not counted as an OPA failure", async (t) => {
  const server = await startSilentServer();
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, { timeoutMs: 60_000, circuitBreakerFailureThreshold: 1 });
  const controller = new AbortController();
  const decision = engine.decide(sampleInput(), { signal: controller.signal });
  await server.waitForHits(1);
  const abortedAt = performance.now();
  controller.abort();
  await assertFailsClosed(t, decision, policyFailures.timeout);
  t.true(performance.now() - abortedAt < 1000);
  t.is(server.hits, 1);
  t.like(engine.stats(), { callerAborts: 1, failures: 0, breakerState: "closed" });
});

test("the caller's signal aborts a backoff wait between attempts", async (t) => {
  const server = await startHttpServer(responders.serverError);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, { retryBaseBackoffMs: 60_000 });
  const controller = new AbortController();
  const decision = engine.decide(sampleInput(), { signal: controller.signal });
  await server.waitForHits(1);
  controller.abort();
  await assertFailsClosed(t, decision, policyFailures.timeout);
  t.is(server.hits, 1);
  t.like(engine.stats(), { callerAborts: 1, failures: 0 });
});

test("an already aborted signal sends no request", async (t) => {
  const server = await startHttpServer(responders.serverError);
  t.teardown(() => server.close());
  const engine = engineFor(t, server.url, FAST);
  await assertFailsClosed(t, engine.decide(sampleInput(), { signal: AbortSignal.abort() }), policyFailures.timeout);
  t.is(server.hits, 0);
});

test("readiness is true only when the health endpoint answers 2xx", async (t) => {
  const healthy = await startHttpServer((_request, response) => reply(response, 200, {}));
  const failing = await startHttpServer(responders.serverError);
  t.teardown(() => healthy.close());
  t.teardown(() => failing.close());
  t.true(await engineFor(t, healthy.url, FAST).ready());
  t.false(await engineFor(t, failing.url, FAST).ready());
  t.false(await engineFor(t, await refusingUrl(), FAST).ready());
});

test("invalid options are refused when the engine is built", (t) => {
  const url = "http://127.0.0.1:1";
  t.throws(() => engineFor(t, url, { retryMaxAttempts: 11 }), { instanceOf: RangeError });
  t.throws(() => engineFor(t, url, { circuitBreakerFailureThreshold: 0 }), { instanceOf: RangeError });
  t.throws(() => engineFor(t, url, { timeoutMs: 0 }), { instanceOf: RangeError });
  t.throws(() => engineFor(t, url, { bundleHash: "not-a-hash" }), { instanceOf: TypeError });
  t.throws(() => engineFor(t, "ftp://example.invalid", {}), { instanceOf: TypeError });
});
