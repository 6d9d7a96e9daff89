import test from "ava";
import { createSlidingWindowLimiter } from "./sliding-window-limiter.js";

test("requests beyond the limit within the window are refused, and allowed again once the window slides", (t) => {
  let clock = 0;
  const limiter = createSlidingWindowLimiter({ limit: 2, windowMs: 1000, now: () => clock });
  t.true(limiter.tryAcquire("dev"));
  clock = 500;
  t.true(limiter.tryAcquire("dev"));
  t.false(limiter.tryAcquire("dev"));
  t.true(limiter.tryAcquire("support"), "keys are independent");
  clock = 1001;
  t.true(limiter.tryAcquire("dev"), "the first request left the window");
  t.false(limiter.tryAcquire("dev"));
});

test("a limit of 0 disables limiting", (t) => {
  const limiter = createSlidingWindowLimiter({ limit: 0, windowMs: 1000 });
  for (let i = 0; i < 100; i++) t.true(limiter.tryAcquire("dev"));
});

test("the number of remembered keys is bounded, forgetting the least recently used", (t) => {
  let clock = 0;
  const limiter = createSlidingWindowLimiter({ limit: 1, windowMs: 1000, maxKeys: 2, now: () => clock });
  t.true(limiter.tryAcquire("a"));
  t.true(limiter.tryAcquire("b"));
  t.false(limiter.tryAcquire("a")); // a becomes most recent
  t.true(limiter.tryAcquire("c")); // evicts b
  t.true(limiter.tryAcquire("b"), "b was forgotten");
  t.false(limiter.tryAcquire("c"));
});
