/**
 * The compiled form the evaluator runs: names resolved (locals to frame slots, rules to data-tree nodes,
 * calls to builtins or user functions), bodies reordered for safety, and each term annotated with what is
 * statically known about it (`single`: yields at most one value without binding anything).
 */
import type { Location } from "./errors.js";
import type { BuiltinDef } from "./builtins/types.js";
import type { DataNode } from "./data-tree.js";
import type { Value } from "./value.js";

/** Term tags. */
export const enum T {
  Const,
  Var,
  Input,
  Data,
  Ref,
  Array,
  Object,
  Set,
  ArrayCompr,
  SetCompr,
  ObjectCompr,
  Call,
  Template,
}

/** Fields every compiled term has. */
interface TermBase {
  /** Statically known to yield at most one value and bind nothing. */
  single: boolean;
  /** Every variable outside ref brackets is bound (so the term can be enumerated). */
  evaluable: boolean;
  readonly loc: Location;
}

/** A constant. */
export interface IConst extends TermBase {
  readonly t: T.Const;
  readonly v: Value;
}

/** A local variable (frame slot). */
export interface IVar extends TermBase {
  readonly t: T.Var;
  readonly slot: number;
  readonly name: string;
  /** Statically bound where it occurs. */
  bound: boolean;
}

/** The `input` root. */
export interface IInput extends TermBase {
  readonly t: T.Input;
}

/** A data-tree node (a ground prefix of `data`). */
export interface IData extends TermBase {
  readonly t: T.Data;
  readonly node: DataNode;
}

/** A reference. */
export interface IRef extends TermBase {
  readonly t: T.Ref;
  readonly head: ITerm;
  readonly path: readonly ITerm[];
}

/** An array literal. */
export interface IArray extends TermBase {
  readonly t: T.Array;
  readonly items: readonly ITerm[];
}

/** An object literal. */
export interface IObject extends TermBase {
  readonly t: T.Object;
  readonly keys: readonly ITerm[];
  readonly values: readonly ITerm[];
}

/** A set literal. */
export interface ISet extends TermBase {
  readonly t: T.Set;
  readonly items: readonly ITerm[];
}

/** An array or set comprehension. */
export interface ICompr extends TermBase {
  readonly t: T.ArrayCompr | T.SetCompr;
  readonly head: ITerm;
  body: IExpr[];
  /** Slots local to the comprehension. */
  readonly locals: readonly number[];
  /** A template-string part carrying `with` modifiers, evaluated as a one-value comprehension. */
  readonly fromTemplate?: boolean;
}

/** An object comprehension. */
export interface IObjCompr extends TermBase {
  readonly t: T.ObjectCompr;
  readonly key: ITerm;
  readonly value: ITerm;
  body: IExpr[];
  readonly locals: readonly number[];
}

/** What a call calls. */
export type FnTarget =
  | { readonly kind: "builtin"; readonly def: BuiltinDef }
  | { readonly kind: "user"; readonly node: DataNode; readonly name: string };

/** A call. */
export interface ICall extends TermBase {
  readonly t: T.Call;
  readonly fn: FnTarget;
  readonly args: readonly ITerm[];
  /** Number of input arguments (arguments beyond are outputs). */
  readonly arity: number;
}

/** A template string. */
export interface ITemplate extends TermBase {
  readonly t: T.Template;
  readonly parts: readonly (string | ITerm)[];
}

/** Any compiled term. */
export type ITerm = IConst | IVar | IInput | IData | IRef | IArray | IObject | ISet | ICompr | IObjCompr | ICall | ITemplate;

/** Expression tags. */
export const enum E {
  Term,
  Call,
  Unify,
  Noop,
  SomeIn,
  Every,
  Logic,
}

/** A `with` modifier. */
export type IWith =
  | { readonly kind: "input"; readonly path: readonly Value[]; readonly value: ITerm; readonly loc: Location }
  | { readonly kind: "data"; readonly path: readonly Value[]; readonly value: ITerm; readonly loc: Location }
  | {
      readonly kind: "fn";
      readonly target: FnTarget;
      /** Replacement function, or undefined when `value` is a plain value. */
      readonly replacement: FnTarget | undefined;
      readonly value: ITerm;
      readonly loc: Location;
    };

/** Fast-path class of an expression: a single-valued test. */
export const FAST_TEST = 1;
/** Fast-path class of an expression: binds a fresh variable to a single value. */
export const FAST_BIND = 2;

/** Fields every compiled expression has. */
interface ExprBase {
  readonly negated: boolean;
  readonly withs: readonly IWith[];
  readonly loc: Location;
  /** Slots local to a negated expression (bound only inside it). */
  negLocals?: readonly number[];
  /** Fast-path class (FAST_TEST / FAST_BIND), set by the safety pass. */
  fast?: number;
  /** For FAST_BIND: the slot bound. */
  bindSlot?: number;
  /** For FAST_BIND: the single-valued term bound to it. */
  bindValue?: ITerm;
}

/** A compiled expression. */
export type IExpr = ExprBase &
  (
    | { readonly e: E.Term; readonly term: ITerm }
    | { readonly e: E.Call; readonly call: ICall }
    | { readonly e: E.Unify; readonly lhs: ITerm; readonly rhs: ITerm; readonly assign: boolean }
    | { readonly e: E.Noop }
    | { readonly e: E.SomeIn; readonly key: ITerm | undefined; readonly value: ITerm; readonly domain: ITerm }
    | {
        readonly e: E.Every;
        readonly key: ITerm | undefined;
        readonly value: ITerm;
        readonly domain: ITerm;
        body: IExpr[];
        readonly locals: readonly number[];
      }
    | { readonly e: E.Logic; readonly op: "and" | "or"; readonly operands: IExpr[][]; readonly locals: readonly number[] }
  );

/** One clause of a rule (the rule itself or one of its `else` clauses). */
export interface IClause {
  /** Value term (constant `true` when the rule has none). */
  readonly value: ITerm;
  body: IExpr[];
  readonly loc: Location;
}

/** A compiled rule or function definition. */
export interface IRule {
  readonly kind: "complete" | "multi" | "object" | "function";
  /** For `object` rules: ref steps below the node; the last one may be a set element (`leaf: multi`). */
  readonly suffix: readonly ITerm[];
  /** For `object` rules: whether the leaf is a set (`contains`) or a value. */
  readonly leaf: "value" | "multi";
  /** Function arguments. */
  readonly args: readonly ITerm[];
  /** `contains` element (multi rules and multi leaves). */
  readonly key: ITerm | undefined;
  /** The rule and its else clauses. */
  readonly clauses: readonly IClause[];
  readonly isDefault: boolean;
  /** Frame size. */
  nslots: number;
  readonly loc: Location;
}
