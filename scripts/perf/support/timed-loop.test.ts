/**
 * The closed loop's bookkeeping: what is counted, what is aborted, what is waited for.
 */
import test from "ava";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { runTimedLoop } from "./timed-loop.js";

/** Resolves when `signal` aborts, with whether it did. */
const untilAborted = (signal: AbortSignal) => once(signal, "abort").then(() => "aborted");

test("requests still running when the window closes are aborted through their signal and not counted", async (t) => {
  const result = await runTimedLoop({ users: 3, durationMs: 30 }, (_user, _iteration, signal) => untilAborted(signal));
  t.is(result.issued, 3);
  t.deepEqual(result.samples, []);
  t.is(result.elapsedMs, 30);
});

test("many users waiting on the window's signal raise no listener-leak warning", async (t) => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on("warning", onWarning);
  t.teardown(() => process.off("warning", onWarning));
  const result = await runTimedLoop({ users: 50, durationMs: 30 }, (_user, _iteration, signal) => untilAborted(signal));
  t.is(result.issued, 50);
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(warnings.filter((name) => name === "MaxListenersExceededWarning"), []);
});

test("requests completing inside the window are kept with their user and outcome, in window-relative time", async (t) => {
  const result = await runTimedLoop({ users: 2, durationMs: 20 }, async (user, iteration) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return `${user}:${iteration}`;
  });
  t.true(result.samples.length > 2);
  t.true(result.samples.length <= result.issued);
  for (const sample of result.samples) {
    t.true(sample.endMs >= sample.startMs && sample.endMs <= 20);
    t.true(sample.outcome.startsWith(`${sample.user}:`));
  }
});

test("with overruns kept, a request started in the window is waited for and kept however late it ends", async (t) => {
  let signalled = false;
  const result = await runTimedLoop({ users: 1, durationMs: 10, includeOverrun: true }, async (_user, iteration, signal) => {
    signal.addEventListener("abort", () => (signalled = true));
    if (iteration === 0) await new Promise<void>((resolve) => setTimeout(resolve, 40));
    return iteration;
  });
  t.false(signalled);
  t.is(result.samples.length, 1);
  // Past the 10 ms window (timers may fire a millisecond early).
  t.true(result.samples[0]!.endMs >= 35);
  t.true(result.elapsedMs >= result.samples[0]!.endMs);
});

test("the warm-up's requests do not count and the window start is announced once", async (t) => {
  let announced = 0;
  const result = await runTimedLoop({ users: 1, durationMs: 20, warmupMs: 20, onMeasureStart: () => announced++ }, async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return 0;
  });
  t.is(announced, 1);
  t.true(result.samples.every((sample) => sample.endMs >= 0));
  t.true(result.issued > result.samples.length);
});

test.serial("with overruns kept, every request issued is kept: none is issued once the window has closed", async (t) => {
  // A clock that moves 1 ms per reading makes the window's last moment land between readings deterministically
  // (serial, so no other test runs on it). Several durations cover both parities of the loop's readings.
  const real = Object.getOwnPropertyDescriptor(performance, "now");
  let clock = 0;
  Object.defineProperty(performance, "now", { configurable: true, value: () => clock++ });
  try {
    for (const durationMs of [5, 6, 7, 8]) {
      const result = await runTimedLoop({ users: 1, durationMs, includeOverrun: true }, async (_user, iteration) => iteration);
      t.true(result.issued > 0);
      t.is(result.samples.length, result.issued, `window of ${durationMs} ms`);
    }
  } finally {
    if (real === undefined) delete (performance as { now?: unknown }).now;
    else Object.defineProperty(performance, "now", real);
  }
});
