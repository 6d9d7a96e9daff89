import test from "ava";
import { type StreamOutcome, observeStream } from "./stream-observer.js";

async function* produce(items: number[], failWith?: Error) {
  for (const item of items) yield item;
  if (failWith) throw failWith;
}

test("a stream that completes reports done once, after its last message", async (t) => {
  const outcomes: StreamOutcome[] = [];
  const seen: number[] = [];
  for await (const item of observeStream(produce([1, 2]), { onEnd: (o) => outcomes.push(o) })) {
    seen.push(item);
    t.deepEqual(outcomes, []);
  }
  t.deepEqual(seen, [1, 2]);
  t.deepEqual(outcomes, [{ kind: "done" }]);
});

test("a producer error is mapped before the consumer and the report see it", async (t) => {
  const outcomes: StreamOutcome[] = [];
  const mapped = new Error("mapped");
  const iterable = observeStream(produce([1], new Error("raw")), { onEnd: (o) => outcomes.push(o), mapError: () => mapped });
  const error = await t.throwsAsync(async () => {
    for await (const _ of iterable) {
      // consume
    }
  });
  t.is(error, mapped);
  t.deepEqual(outcomes, [{ kind: "error", error: mapped }]);
});

test("a consumer that stops early reports cancelled and closes the producer", async (t) => {
  const outcomes: StreamOutcome[] = [];
  let finalized = false;
  async function* endless() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      finalized = true;
    }
  }
  for await (const item of observeStream(endless(), { onEnd: (o) => outcomes.push(o) })) {
    if (item === 1) break;
  }
  t.deepEqual(outcomes, [{ kind: "cancelled", reason: undefined }]);
  t.true(finalized);
});
