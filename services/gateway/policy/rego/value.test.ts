import test from "ava";
import { fromJson } from "./value-json.js";
import { compareValues, RObject, RSet, valuesEqual, type Value } from "./value.js";

test("values order by kind, then within kind, as OPA orders them", (t) => {
  const values: Value[] = [RSet.from([1]), fromJson({ a: 1 }), [1], "a", 2, true, false, null];
  const sorted = [...values].sort(compareValues);
  t.deepEqual(sorted.map((v) => (v instanceof RSet ? "set" : v instanceof RObject ? "object" : v)), [
    null,
    false,
    true,
    2,
    "a",
    [1],
    "object",
    "set",
  ]);
});

test("strings compare by code point, not UTF-16 unit", (t) => {
  t.true(compareValues("\u{1F600}", "\uFFFD") > 0);
});

test("numbers compare by value across representations", (t) => {
  t.true(valuesEqual(1e20, 100000000000000000000n));
  t.is(compareValues(9007199254740993n, 9007199254740992), 1);
  const s = RSet.from([1, 1.0, 2n]);
  t.is(s.size, 2);
});

test("objects and sets accept composite keys", (t) => {
  const o = new RObject().set([1, 2], "a").set(fromJson({ k: 1 }), "b");
  t.is(o.get([1, 2]), "a");
  t.is(o.get(fromJson({ k: 1 })), "b");
  t.is(o.get([2, 1]), undefined);
});
