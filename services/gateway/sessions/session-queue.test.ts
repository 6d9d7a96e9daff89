import test from "ava";
import { createSessionQueue } from "./session-queue.js";

test("turns on one key run one at a time in arrival order; other keys do not wait", async (t) => {
  const queue = createSessionQueue();
  const order: string[] = [];
  const first = await queue.acquire("s1");
  const second = queue.acquire("s1").then((release) => {
    order.push("second");
    return release;
  });
  const third = queue.acquire("s1").then((release) => {
    order.push("third");
    release();
  });
  const other = await queue.acquire("s2");
  order.push("other");
  other();
  await Promise.resolve();
  t.deepEqual(order, ["other"]);
  first();
  (await second)();
  await third;
  t.deepEqual(order, ["other", "second", "third"]);
});

test("releasing twice is harmless, and an aborted waiter passes its turn on", async (t) => {
  const queue = createSessionQueue();
  const first = await queue.acquire("s");
  const controller = new AbortController();
  const aborted = queue.acquire("s", controller.signal);
  const last = queue.acquire("s");
  controller.abort(new Error("gone"));
  await t.throwsAsync(aborted, { message: "gone" });
  first();
  first();
  const release = await last;
  release();
  t.pass();
});
