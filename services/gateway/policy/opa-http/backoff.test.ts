import test from "ava";
import { fullJitterBackoffMs, MAX_BACKOFF_MS } from "./backoff.js";

test("the backoff ceiling doubles per retry from the base delay", (t) => {
  const policy = { baseMs: 50, capMs: MAX_BACKOFF_MS, random: () => 1 };
  t.deepEqual(
    [1, 2, 3, 4].map((retry) => fullJitterBackoffMs(retry, policy)),
    [50, 100, 200, 400],
  );
});

test("the backoff never exceeds the cap", (t) => {
  const policy = { baseMs: 50, capMs: MAX_BACKOFF_MS, random: () => 1 };
  t.is(fullJitterBackoffMs(10, policy), 5000);
  t.is(fullJitterBackoffMs(60, policy), 5000);
});

test("full jitter samples anywhere between zero and the ceiling", (t) => {
  t.is(fullJitterBackoffMs(3, { baseMs: 50, capMs: MAX_BACKOFF_MS, random: () => 0 }), 0);
  t.is(fullJitterBackoffMs(3, { baseMs: 50, capMs: MAX_BACKOFF_MS, random: () => 0.5 }), 100);
});

test("an out-of-range random source is clamped into the schedule", (t) => {
  t.is(fullJitterBackoffMs(1, { baseMs: 50, capMs: MAX_BACKOFF_MS, random: () => 7 }), 50);
  t.is(fullJitterBackoffMs(1, { baseMs: 50, capMs: MAX_BACKOFF_MS, random: () => -1 }), 0);
});
