/**
 * The contract between the evaluator and builtin implementations. A builtin takes its evaluated operands and
 * returns a value (or undefined for "no result"); it reports problems by throwing `BuiltinError`, which the
 * evaluator turns into an OPA error (strict mode) or an undefined expression (default), as OPA does.
 */
import { BuiltinError } from "../errors.js";
import { typeName, type Value } from "../value.js";

/** What a builtin may read from the running evaluation. */
export interface BuiltinContext {
  /** The evaluation's fixed "now" (`time.now_ns`), nanoseconds since the epoch. */
  readonly nowNs: bigint;
  /** Whether builtin errors abort evaluation. */
  readonly strict: boolean;
}

/** A builtin function. */
export interface BuiltinDef {
  /** Dotted name, e.g. `io.jwt.decode`. */
  readonly name: string;
  /** Number of operands. */
  readonly arity: number;
  /** Single-valued implementation. */
  readonly fn?: (args: Value[], ctx: BuiltinContext) => Value | undefined;
  /** Multi-valued implementation (a relation such as `walk`): every output. */
  readonly relation?: (args: Value[], ctx: BuiltinContext) => Value[];
}

/** A set of builtins by name. */
export interface BuiltinRegistry {
  /** The builtin named `name`. */
  get(name: string): BuiltinDef | undefined;
  /** Whether `name` is an OPA builtin this evaluator does not implement (rejected at load time). */
  isKnownUnsupported(name: string): boolean;
  /**
   * A stand-in for a builtin that cannot run here (e.g. `http.send`) but may be replaced with `with` in
   * tests; calling the stand-in itself fails the evaluation. Undefined for other names.
   */
  mockOnly(name: string): BuiltinDef | undefined;
}

/** `operand N must be T but got U`, an `eval_type_error`. */
export function operandError(pos: number, expected: string, got: Value): BuiltinError {
  return new BuiltinError(`operand ${pos} must be ${expected} but got ${typeName(got)}`, "type");
}

/** Shorthand for defining a single-valued builtin. */
export function def(
  name: string,
  arity: number,
  fn: (args: Value[], ctx: BuiltinContext) => Value | undefined,
): BuiltinDef {
  return { name, arity, fn };
}
