/**
 * Operand helpers for builtins: typed accessors that throw OPA's operand type errors.
 */
import { BuiltinError } from "../errors.js";
import { isInteger, RObject, RSet, typeName, type Num, type Value } from "../value.js";
import { operandError } from "./types.js";

/** Operand `pos` (1-based) as a string. */
export function str(args: Value[], pos: number): string {
  const v = args[pos - 1] as Value;
  if (typeof v !== "string") throw operandError(pos, "string", v);
  return v;
}

/** Operand `pos` as a number. */
export function num(args: Value[], pos: number): Num {
  const v = args[pos - 1] as Value;
  if (typeof v !== "number" && typeof v !== "bigint") throw operandError(pos, "number", v);
  return v;
}

/** Operand `pos` as an integer (JS number; large values are rejected as OPA would overflow). */
export function int(args: Value[], pos: number): number {
  const v = num(args, pos);
  if (!isInteger(v)) throw new BuiltinError(`operand ${pos} must be integer number but got floating-point number`, "type");
  return Number(v);
}

/** Operand `pos` as a boolean. */
export function bool(args: Value[], pos: number): boolean {
  const v = args[pos - 1] as Value;
  if (typeof v !== "boolean") throw operandError(pos, "boolean", v);
  return v;
}

/** Operand `pos` as an array. */
export function arr(args: Value[], pos: number): Value[] {
  const v = args[pos - 1] as Value;
  if (!Array.isArray(v)) throw operandError(pos, "array", v);
  return v;
}

/** Operand `pos` as an object. */
export function obj(args: Value[], pos: number): RObject {
  const v = args[pos - 1] as Value;
  if (!(v instanceof RObject)) throw operandError(pos, "object", v);
  return v;
}

/** Operand `pos` as a set. */
export function set(args: Value[], pos: number): RSet {
  const v = args[pos - 1] as Value;
  if (!(v instanceof RSet)) throw operandError(pos, "set", v);
  return v;
}

/** `operand N must be one of {a, b} but got T`. */
export function oneOf(pos: number, kinds: readonly string[], got: Value): BuiltinError {
  return new BuiltinError(`operand ${pos} must be one of {${kinds.join(", ")}} but got ${typeName(got)}`, "type");
}

/** Elements of an array or set operand. */
export function arrayOrSet(args: Value[], pos: number): Value[] {
  const v = args[pos - 1] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  throw oneOf(pos, ["array", "set"], v);
}

/** Strings of an array or set operand (`operand N must be array of strings but got array containing number`). */
export function stringsOf(args: Value[], pos: number, kinds: readonly string[] = ["array", "set"]): string[] {
  const v = args[pos - 1] as Value;
  const items = Array.isArray(v) ? v : v instanceof RSet ? v.values() : undefined;
  if (items === undefined) throw oneOf(pos, kinds, v);
  for (const x of items) {
    if (typeof x !== "string") {
      throw new BuiltinError(
        `operand ${pos} must be ${Array.isArray(v) ? "array" : "set"} of strings but got ${Array.isArray(v) ? "array" : "set"} containing ${typeName(x)}`,
        "type",
      );
    }
  }
  return items as string[];
}

/** Code points of a string (Rego indexes strings by rune). */
export function runes(s: string): string[] {
  return Array.from(s);
}
