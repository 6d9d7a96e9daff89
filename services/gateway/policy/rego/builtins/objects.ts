/**
 * Object builtins: object.get, object.keys, object.remove, object.filter, object.union, object.union_n,
 * object.subset.
 */
import { BuiltinError } from "../errors.js";
import { lookup, RObject, RSet, typeName, valuesEqual, type Value } from "../value.js";
import { obj, oneOf } from "./args.js";
import { def, operandError, type BuiltinDef } from "./types.js";

/** Keys named by an array, set or object (its keys) operand. */
function keysOf(args: Value[], pos: number): Value[] {
  const v = args[pos - 1] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  if (v instanceof RObject) return v.keys();
  throw oneOf(pos, ["object", "set", "array"], v);
}

/** Deep merge: nested objects merge, otherwise the right side wins. */
export function unionObjects(a: RObject, b: RObject): RObject {
  const out = RObject.from(a.entries());
  for (const [k, v] of b.entries()) {
    const cur = out.get(k);
    out.set(k, cur instanceof RObject && v instanceof RObject ? unionObjects(cur, v) : v);
  }
  return out;
}

function isSubset(sup: Value, sub: Value): boolean {
  if (sup instanceof RObject && sub instanceof RObject) {
    for (const [k, v] of sub.entries()) {
      const w = sup.get(k);
      if (w === undefined || !nestedSubset(w, v)) return false;
    }
    return true;
  }
  if (sup instanceof RSet && sub instanceof RSet) return sub.values().every((x) => sup.has(x));
  if (Array.isArray(sup) && sub instanceof RSet) return sub.values().every((x) => sup.some((y) => valuesEqual(x, y)));
  if (Array.isArray(sup) && Array.isArray(sub)) {
    if (sub.length === 0) return true;
    for (let i = 0; i + sub.length <= sup.length; i++) {
      if (sub.every((x, j) => valuesEqual(x, sup[i + j] as Value))) return true;
    }
    return false;
  }
  return valuesEqual(sup, sub);
}

function nestedSubset(sup: Value, sub: Value): boolean {
  const collection = (v: Value): boolean => v instanceof RObject || v instanceof RSet || Array.isArray(v);
  if (collection(sup) && collection(sub)) return isSubset(sup, sub);
  return valuesEqual(sup, sub);
}

/** Object builtins. */
export const objectBuiltins: BuiltinDef[] = [
  def("object.get", 3, (args) => {
    const o = obj(args, 1);
    const key = args[1] as Value;
    const fallback = args[2] as Value;
    if (!Array.isArray(key)) return o.get(key) ?? fallback;
    let cur: Value = o;
    for (const k of key) {
      const next = lookup(cur, k);
      if (next === undefined || cur instanceof RSet) return fallback;
      cur = next;
    }
    return cur;
  }),
  def("object.keys", 1, (args) => RSet.from(obj(args, 1).keys())),
  def("object.remove", 2, (args) => {
    const o = obj(args, 1);
    const drop = RSet.from(keysOf(args, 2));
    return RObject.from(o.entries().filter(([k]) => !drop.has(k)));
  }),
  def("object.filter", 2, (args) => {
    const o = obj(args, 1);
    const keep = RSet.from(keysOf(args, 2));
    return RObject.from(o.entries().filter(([k]) => keep.has(k)));
  }),
  def("object.union", 2, (args) => unionObjects(obj(args, 1), obj(args, 2))),
  def("object.union_n", 1, (args) => {
    const v = args[0] as Value;
    if (!Array.isArray(v)) throw operandError(1, "array", v);
    let out = new RObject();
    for (const x of v) {
      if (!(x instanceof RObject)) throw new BuiltinError(`operand 1 must be array of objects but got array containing ${typeName(x)}`, "type");
      out = unionObjects(out, x);
    }
    return out;
  }),
  def("object.subset", 2, (args) => {
    const [sup, sub] = args as [Value, Value];
    const kinds = ["object", "set", "array"];
    const ok = (v: Value): boolean => v instanceof RObject || v instanceof RSet || Array.isArray(v);
    if (!ok(sup)) throw oneOf(1, kinds, sup);
    if (!ok(sub)) throw oneOf(2, kinds, sub);
    if (sup instanceof RObject !== sub instanceof RObject) {
      throw new BuiltinError(`both arguments must be objects when one is, got ${typeName(sup)} and ${typeName(sub)}`, "type");
    }
    return isSubset(sup, sub);
  }),
];
