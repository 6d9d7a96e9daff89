/**
 * Errors of the Rego toolchain. Codes are OPA's (`rego_parse_error`, `eval_conflict_error`, ...) so the
 * conformance cases can check them; `RegoUnsupportedError` marks a construct or builtin this evaluator does
 * not implement, raised when a module loads so that nothing unsupported ever runs.
 */

/** A source position. */
export interface Location {
  /** File name as given to the parser. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
}

/** OPA error codes used here, plus our own `rego_unsupported_error`. */
export type RegoErrorCode =
  | "rego_parse_error"
  | "rego_compile_error"
  | "rego_unsafe_var_error"
  | "rego_recursion_error"
  | "rego_type_error"
  | "rego_unsupported_error"
  | "eval_type_error"
  | "eval_builtin_error"
  | "eval_conflict_error"
  | "eval_recursion_error";

/** Formats a location as `file:line:col` (compile time) or `file:line` (evaluation, as OPA prints). */
export function formatLocation(loc: Location, withCol: boolean): string {
  return withCol ? `${loc.file}:${loc.line}:${loc.col}` : `${loc.file}:${loc.line}`;
}

/** An error with an OPA error code and, when known, the source position it concerns. */
export class RegoError extends Error {
  override readonly name: string = "RegoError";
  /** OPA error code. */
  readonly code: RegoErrorCode;
  /** The message without location and code. */
  readonly detail: string;
  /** Where the error arose. */
  readonly location: Location | undefined;

  /** Creates an error; compile-time errors print `file:line:col`, evaluation errors `file:line` as OPA does. */
  constructor(code: RegoErrorCode, detail: string, location?: Location) {
    const where = location === undefined ? "" : formatLocation(location, !code.startsWith("eval_")) + ": ";
    super(`${where}${code}: ${detail}`);
    this.code = code;
    this.detail = detail;
    this.location = location;
  }
}

/** A construct or builtin that this evaluator rejects at load time. */
export class RegoUnsupportedError extends RegoError {
  override readonly name = "RegoUnsupportedError";
  /** Name of the construct or builtin (e.g. `http.send`). */
  readonly construct: string;

  /** Creates the error for `construct` at `location`. */
  constructor(construct: string, location: Location | undefined, what = "builtin") {
    super("rego_unsupported_error", `unsupported ${what}: ${construct}`, location);
    this.construct = construct;
  }
}

/**
 * Thrown by builtin implementations. `type` errors become `eval_type_error`, others `eval_builtin_error`;
 * the evaluator prefixes the builtin's name and, without strict builtin errors, turns them into undefined.
 */
export class BuiltinError extends Error {
  override readonly name = "BuiltinError";
  /** `type` for operand type errors, `builtin` otherwise. */
  readonly kind: "type" | "builtin";

  /** Creates a builtin error. */
  constructor(message: string, kind: "type" | "builtin" = "builtin") {
    super(message);
    this.kind = kind;
  }
}
