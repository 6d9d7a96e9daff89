import test from "ava";
import { decodeTime, isValid } from "ulid";
import { fastUlid } from "./fast-ulid.js";

test("generated ids are valid ULIDs carrying the given time", (t) => {
  const now = Date.UTC(2026, 10, 23, 1, 2, 3, 456);
  for (let i = 0; i < 1000; i++) {
    const id = fastUlid(now);
    t.true(isValid(id));
    t.is(decodeTime(id), now);
  }
});

test("generated ids do not repeat and use the whole random alphabet", (t) => {
  const ids = new Set(Array.from({ length: 20000 }, () => fastUlid()));
  t.is(ids.size, 20000);
  const randomChars = new Set([...ids].flatMap((id) => [...id.slice(10)]));
  t.is(randomChars.size, 32);
});
