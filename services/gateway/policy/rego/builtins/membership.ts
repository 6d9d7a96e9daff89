/**
 * Membership: `x in xs` (internal.member_2) and `k, v in xs` (internal.member_3).
 */
import { lookup, RObject, RSet, valuesEqual, type Value } from "../value.js";
import { def, type BuiltinDef } from "./types.js";

function member2(x: Value, c: Value): boolean {
  if (Array.isArray(c)) return c.some((y) => valuesEqual(x, y));
  if (c instanceof RSet) return c.has(x);
  if (c instanceof RObject) return c.entries().some(([, y]) => valuesEqual(x, y));
  return false;
}

function member3(k: Value, v: Value, c: Value): boolean {
  if (c instanceof RSet) return false;
  const found = lookup(c, k);
  return found !== undefined && valuesEqual(found, v);
}

/** Membership builtins. */
export const membershipBuiltins: BuiltinDef[] = [
  def("internal.member_2", 2, ([x, c]) => member2(x!, c!)),
  def("internal.member_3", 3, ([k, v, c]) => member3(k!, v!, c!)),
];
