/**
 * Aggregates: count, sum, product, max, min, sort.
 */
import { BuiltinError } from "../errors.js";
import { compareValues, RObject, RSet, typeName, type Num, type Value } from "../value.js";
import { oneOf, runes } from "./args.js";
import { add, mul } from "./numbers.js";
import { def, type BuiltinDef } from "./types.js";

function collection(args: Value[], pos: number): Value[] {
  const v = args[pos - 1] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  throw oneOf(pos, ["array", "set"], v);
}

function numbers(args: Value[]): Num[] {
  const items = collection(args, 1);
  for (const x of items) {
    if (typeof x !== "number" && typeof x !== "bigint") {
      const kind = Array.isArray(args[0]) ? "array" : "set";
      throw new BuiltinError(`operand 1 must be ${kind} of numbers but got ${kind} containing ${typeName(x)}`, "type");
    }
  }
  return items as Num[];
}

/** Aggregate builtins. */
export const aggregateBuiltins: BuiltinDef[] = [
  def("count", 1, ([v]) => {
    if (typeof v === "string") return runes(v).length;
    if (Array.isArray(v)) return v.length;
    if (v instanceof RObject || v instanceof RSet) return v.size;
    throw oneOf(1, ["array", "object", "set", "string"], v!);
  }),
  def("sum", 1, (args) => numbers(args).reduce<Num>((a, b) => add(a, b), 0)),
  def("product", 1, (args) => numbers(args).reduce<Num>((a, b) => mul(a, b), 1)),
  def("max", 1, (args) => {
    const items = collection(args, 1);
    if (items.length === 0) return undefined;
    return items.reduce((a, b) => (compareValues(a, b) >= 0 ? a : b));
  }),
  def("min", 1, (args) => {
    const items = collection(args, 1);
    if (items.length === 0) return undefined;
    return items.reduce((a, b) => (compareValues(a, b) <= 0 ? a : b));
  }),
  def("sort", 1, (args) => [...collection(args, 1)].sort(compareValues)),
];
