/**
 * The Rego syntax tree produced by the parser. Every node carries its source location; binary operators are
 * calls of OPA's operator builtins (`plus`, `equal`, `internal.member_2`, ...), as in OPA's own AST.
 */
import type { Location } from "./errors.js";

/** A scalar literal. */
export interface ScalarTerm {
  readonly type: "scalar";
  readonly value: null | boolean | number | bigint | string;
  readonly loc: Location;
}

/** A variable (or, before resolution, a name such as a rule, import alias or `input`). */
export interface VarTerm {
  readonly type: "var";
  readonly name: string;
  readonly loc: Location;
}

/** A reference: a head term followed by `.name` / `[term]` steps. */
export interface RefTerm {
  readonly type: "ref";
  readonly head: Term;
  readonly path: readonly Term[];
  readonly loc: Location;
}

/** An array literal. */
export interface ArrayTerm {
  readonly type: "array";
  readonly items: readonly Term[];
  readonly loc: Location;
}

/** An object literal. */
export interface ObjectTerm {
  readonly type: "object";
  readonly entries: readonly (readonly [Term, Term])[];
  readonly loc: Location;
}

/** A set literal (`set()` is a set with no items). */
export interface SetTerm {
  readonly type: "set";
  readonly items: readonly Term[];
  readonly loc: Location;
}

/** `[head | body]` or `{head | body}`. */
export interface ComprehensionTerm {
  readonly type: "arraycompr" | "setcompr";
  readonly head: Term;
  readonly body: Body;
  readonly loc: Location;
}

/** `{key: value | body}`. */
export interface ObjectComprehensionTerm {
  readonly type: "objectcompr";
  readonly key: Term;
  readonly value: Term;
  readonly body: Body;
  readonly loc: Location;
}

/** A call: the operator is a name path (`count`, `data.pkg.f`, `a.b.c`) given as a var or ref term. */
export interface CallTerm {
  readonly type: "call";
  readonly operator: VarTerm | RefTerm;
  readonly args: readonly Term[];
  readonly loc: Location;
}

/** A template string `$"...{expr}..."`: literal text and embedded expressions. */
export interface TemplateTerm {
  readonly type: "template";
  readonly parts: readonly (string | Expr)[];
  readonly loc: Location;
}

/** Any term. */
export type Term =
  | ScalarTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | ObjectTerm
  | SetTerm
  | ComprehensionTerm
  | ObjectComprehensionTerm
  | CallTerm
  | TemplateTerm;

/** A `with target as value` modifier. */
export interface With {
  readonly target: VarTerm | RefTerm;
  readonly value: Term;
  readonly loc: Location;
}

/** The statement forms of a body literal. */
export type ExprBody =
  | { readonly kind: "term"; readonly term: Term }
  | { readonly kind: "call"; readonly call: CallTerm }
  | { readonly kind: "unify" | "assign"; readonly lhs: Term; readonly rhs: Term }
  | { readonly kind: "some"; readonly vars: readonly VarTerm[] }
  | { readonly kind: "somein"; readonly key: Term | undefined; readonly value: Term; readonly domain: Term }
  | {
      readonly kind: "every";
      readonly key: VarTerm | undefined;
      readonly value: VarTerm;
      readonly domain: Term;
      readonly body: Body;
    }
  | { readonly kind: "logic"; readonly op: "and" | "or"; readonly operands: readonly Body[] };

/** A body literal: an expression, possibly negated, with `with` modifiers. */
export type Expr = ExprBody & {
  readonly negated: boolean;
  readonly with: readonly With[];
  readonly loc: Location;
};

/** A query or rule body. */
export type Body = readonly Expr[];

/** One `else` clause. */
export interface ElseClause {
  /** Value; undefined means `true`. */
  readonly value: Term | undefined;
  readonly body: Body;
  readonly loc: Location;
}

/** A rule, function or default. */
export interface Rule {
  /** Head ref: first element is the name, then ground or variable steps. */
  readonly ref: readonly Term[];
  /** Function arguments, or undefined for rules. */
  readonly args: readonly Term[] | undefined;
  /** `single` (complete or object-entry value) or `multi` (`contains`). */
  readonly kind: "single" | "multi";
  /** The `contains` element, for multi-value rules. */
  readonly key: Term | undefined;
  /** Value; undefined means `true`. */
  readonly value: Term | undefined;
  /** Whether the rule is a default. */
  readonly isDefault: boolean;
  readonly body: Body;
  readonly elses: readonly ElseClause[];
  readonly loc: Location;
}

/** An import. */
export interface Import {
  /** Path terms (root var first, then strings). */
  readonly path: RefTerm | VarTerm;
  readonly alias: string | undefined;
  readonly loc: Location;
}

/** A parsed module. */
export interface Module {
  readonly file: string;
  /** Package path below `data` (string steps). */
  readonly pkg: readonly string[];
  readonly pkgLoc: Location;
  readonly imports: readonly Import[];
  readonly rules: readonly Rule[];
}
