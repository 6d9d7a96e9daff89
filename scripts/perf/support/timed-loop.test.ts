/**
 * The closed loop's bookkeeping: what is counted, what is aborted, what is waited for.
 */
import test from "ava";
import { once } from "node:events";
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
