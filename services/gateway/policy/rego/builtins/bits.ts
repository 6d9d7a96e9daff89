/**
 * Bitwise builtins on integers (arbitrary precision, like OPA's big.Int): bits.and/or/xor/negate/lsh/rsh.
 */
import { BuiltinError } from "../errors.js";
import { isInteger, normInt, toBigInt, type Value } from "../value.js";
import { num } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

function intArg(args: Value[], pos: number): bigint {
  const v = num(args, pos);
  if (!isInteger(v)) throw new BuiltinError(`operand ${pos} must be integer number but got floating-point number`, "type");
  return toBigInt(v) as bigint;
}

function shiftArg(args: Value[]): bigint {
  const n = intArg(args, 2);
  if (n < 0n) throw new BuiltinError("operand 2 must be an unsigned integer number but got a negative integer", "type");
  return n;
}

/** Bitwise builtins. */
export const bitsBuiltins: BuiltinDef[] = [
  def("bits.and", 2, (args) => normInt(intArg(args, 1) & intArg(args, 2))),
  def("bits.or", 2, (args) => normInt(intArg(args, 1) | intArg(args, 2))),
  def("bits.xor", 2, (args) => normInt(intArg(args, 1) ^ intArg(args, 2))),
  def("bits.negate", 1, (args) => normInt(~intArg(args, 1))),
  def("bits.lsh", 2, (args) => normInt(intArg(args, 1) << shiftArg(args))),
  def("bits.rsh", 2, (args) => normInt(intArg(args, 1) >> shiftArg(args))),
];
