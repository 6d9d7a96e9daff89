/**
 * Arithmetic builtins: `+ - * / %`, abs, round, ceil, floor, numbers.range, numbers.range_step.
 */
import { BuiltinError } from "../errors.js";
import { isInteger, normInt, RSet, toBigInt, toFloat, type Num, type Value } from "../value.js";
import { num } from "./args.js";
import { add, div, mul, rem, roundHalfAway, sub } from "./numbers.js";
import { def, operandError, type BuiltinDef } from "./types.js";

function minus(args: Value[]): Value {
  const [a, b] = args as [Value, Value];
  const an = typeof a === "number" || typeof a === "bigint";
  const bn = typeof b === "number" || typeof b === "bigint";
  if (an && bn) return sub(a, b);
  if (a instanceof RSet && b instanceof RSet) {
    const out = new RSet();
    for (const x of a.values()) if (!b.has(x)) out.add(x);
    return out;
  }
  if (!an && !(a instanceof RSet)) {
    throw new BuiltinError(`operand 1 must be one of {number, set} but got ${a === null ? "null" : typeof a === "object" ? (Array.isArray(a) ? "array" : "object") : typeof a}`, "type");
  }
  if (a instanceof RSet) throw operandError(2, "set", b);
  throw operandError(2, "number", b);
}

function rangeOf(lo: Num, hi: Num, step: bigint): Value[] {
  const a = toBigInt(lo) as bigint;
  const b = toBigInt(hi) as bigint;
  const out: Value[] = [];
  if (a <= b) for (let i = a; i <= b; i += step) out.push(normInt(i));
  else for (let i = a; i >= b; i -= step) out.push(normInt(i));
  return out;
}

/** Arithmetic builtins. */
export const arithmeticBuiltins: BuiltinDef[] = [
  def("plus", 2, (args) => add(num(args, 1), num(args, 2))),
  def("minus", 2, minus),
  def("mul", 2, (args) => mul(num(args, 1), num(args, 2))),
  def("div", 2, (args) => div(num(args, 1), num(args, 2))),
  def("rem", 2, (args) => rem(num(args, 1), num(args, 2))),
  def("abs", 1, (args) => {
    const n = num(args, 1);
    return typeof n === "bigint" ? (n < 0n ? normInt(-n) : n) : Math.abs(n);
  }),
  def("round", 1, (args) => {
    const n = num(args, 1);
    return isInteger(n) ? n : roundHalfAway(toFloat(n));
  }),
  def("ceil", 1, (args) => {
    const n = num(args, 1);
    return isInteger(n) ? n : Math.ceil(toFloat(n));
  }),
  def("floor", 1, (args) => {
    const n = num(args, 1);
    return isInteger(n) ? n : Math.floor(toFloat(n));
  }),
  def("numbers.range", 2, (args) => {
    const a = num(args, 1);
    const b = num(args, 2);
    if (!isInteger(a)) throw new BuiltinError("operand 1 must be integer number but got floating-point number", "type");
    if (!isInteger(b)) throw new BuiltinError("operand 2 must be integer number but got floating-point number", "type");
    return rangeOf(a, b, 1n);
  }),
  def("numbers.range_step", 3, (args) => {
    const a = num(args, 1);
    const b = num(args, 2);
    const s = num(args, 3);
    if (!isInteger(a)) throw new BuiltinError("operand 1 must be integer number but got floating-point number", "type");
    if (!isInteger(b)) throw new BuiltinError("operand 2 must be integer number but got floating-point number", "type");
    if (!isInteger(s)) throw new BuiltinError("operand 3 must be integer number but got floating-point number", "type");
    const step = toBigInt(s) as bigint;
    if (step <= 0n) throw new BuiltinError("step must be a positive integer");
    return rangeOf(a, b, step);
  }),
];

