/**
 * Number arithmetic with OPA's semantics: integers stay exact (bigint beyond the safe range), anything
 * involving a fraction is a float; `%` needs integers; division by zero is an error.
 */
import { BuiltinError } from "../errors.js";
import { isInteger, normInt, toBigInt, toFloat, type Num } from "../value.js";

/** a + b */
export function add(a: Num, b: Num): Num {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (Number.isSafeInteger(r) || !Number.isInteger(a) || !Number.isInteger(b)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== undefined && y !== undefined) return normInt(x + y);
  return toFloat(a) + toFloat(b);
}

/** a - b */
export function sub(a: Num, b: Num): Num {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (Number.isSafeInteger(r) || !Number.isInteger(a) || !Number.isInteger(b)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== undefined && y !== undefined) return normInt(x - y);
  return toFloat(a) - toFloat(b);
}

/** a * b */
export function mul(a: Num, b: Num): Num {
  if (typeof a === "number" && typeof b === "number") {
    const r = a * b;
    if (Number.isSafeInteger(r) || !Number.isInteger(a) || !Number.isInteger(b)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== undefined && y !== undefined) return normInt(x * y);
  return toFloat(a) * toFloat(b);
}

/** a / b: exact when both are integers and b divides a. */
export function div(a: Num, b: Num): Num {
  if (toFloat(b) === 0 && (typeof b === "number" || b === 0n)) throw new BuiltinError("divide by zero");
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== undefined && y !== undefined && x % y === 0n) return normInt(x / y);
  return toFloat(a) / toFloat(b);
}

/** a % b on integers (sign of the dividend, as Go's big.Int Rem). */
export function rem(a: Num, b: Num): Num {
  if (!isInteger(a) || !isInteger(b)) throw new BuiltinError("modulo on floating-point number");
  const x = toBigInt(a) as bigint;
  const y = toBigInt(b) as bigint;
  if (y === 0n) throw new BuiltinError("modulo by zero");
  return normInt(x % y);
}

/** Rounds half away from zero, as Go's math.Round. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
