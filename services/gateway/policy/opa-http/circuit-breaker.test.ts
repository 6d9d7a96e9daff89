import test from "ava";
import { type CircuitBreaker, type CircuitPermit, createCircuitBreaker } from "./circuit-breaker.js";

function setup(threshold = 3, openMs = 1000) {
  const clock = { now: 0 };
  const breaker = createCircuitBreaker({ failureThreshold: threshold, openMs, now: () => clock.now });
  return { clock, breaker };
}

function fail(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i += 1) breaker.failure(acquire(breaker));
}

function acquire(breaker: CircuitBreaker): CircuitPermit {
  const permit = breaker.tryAcquire();
  if (permit === undefined) throw new Error("expected a permit");
  return permit;
}

test("the circuit opens after the threshold of consecutive failures and then fails fast", (t) => {
  const { breaker } = setup(3);
  fail(breaker, 2);
  t.is(breaker.state(), "closed");
  fail(breaker, 1);
  t.is(breaker.state(), "open");
  t.is(breaker.tryAcquire(), undefined);
  t.is(breaker.opens(), 1);
});

test("a success resets the consecutive failure count", (t) => {
  const { breaker } = setup(3);
  fail(breaker, 2);
  breaker.success(acquire(breaker));
  fail(breaker, 2);
  t.is(breaker.state(), "closed");
});

test("after the open window exactly one probe is admitted at a time", (t) => {
  const { clock, breaker } = setup(1, 1000);
  fail(breaker, 1);
  clock.now = 999;
  t.is(breaker.tryAcquire(), undefined);
  clock.now = 1000;
  t.is(breaker.state(), "half_open");
  const probe = acquire(breaker);
  t.true(probe.probe);
  t.is(breaker.tryAcquire(), undefined);
  breaker.success(probe);
  t.is(breaker.state(), "closed");
  t.false(acquire(breaker).probe);
});

test("a failed probe re-opens the circuit for a full window", (t) => {
  const { clock, breaker } = setup(1, 1000);
  fail(breaker, 1);
  clock.now = 1500;
  breaker.failure(acquire(breaker));
  t.is(breaker.state(), "open");
  clock.now = 2499;
  t.is(breaker.tryAcquire(), undefined);
  clock.now = 2500;
  t.true(acquire(breaker).probe);
  t.is(breaker.opens(), 2);
});

test("an abandoned probe lets the next caller probe", (t) => {
  const { clock, breaker } = setup(1, 10);
  fail(breaker, 1);
  clock.now = 10;
  breaker.abandon(acquire(breaker));
  t.true(acquire(breaker).probe);
});

test("a slow call admitted before the circuit opened cannot close it", (t) => {
  const { breaker } = setup(1);
  const slow = acquire(breaker);
  breaker.failure(acquire(breaker));
  breaker.success(slow);
  t.is(breaker.state(), "open");
});

test("invalid thresholds are rejected", (t) => {
  t.throws(() => createCircuitBreaker({ failureThreshold: 0, openMs: 1, now: () => 0 }), { instanceOf: RangeError });
  t.throws(() => createCircuitBreaker({ failureThreshold: 1, openMs: -1, now: () => 0 }), { instanceOf: RangeError });
});
