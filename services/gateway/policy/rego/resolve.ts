/**
 * Name resolution: turns parsed terms and bodies into IR. Local variables get frame slots (`:=`, `some`,
 * function arguments and `every` declare new ones; other names are implicit locals, shared with enclosing
 * bodies that use the same name, as OPA's closures are); rule names, imports, `input` and `data` become
 * references into the data tree; call operators resolve to builtins or user functions. Anything this
 * evaluator does not implement is rejected here, at load time.
 */
import type { Body, Expr, Term, VarTerm, With } from "./ast.js";
import type { BuiltinRegistry } from "./builtins/types.js";
import type { DataNode } from "./data-tree.js";
import { RegoError, RegoUnsupportedError, type Location } from "./errors.js";
import { E, T, type FnTarget, type ICall, type IExpr, type ITerm, type IVar, type IWith } from "./ir.js";
import { RObject, RSet, type Value } from "./value.js";

/** What names mean inside one module. */
export interface ModuleEnv {
  /** The data tree root. */
  readonly root: DataNode;
  /** Package path. */
  readonly pkg: readonly string[];
  /** Import aliases: alias → root (`data`/`input`) and path. */
  readonly imports: ReadonlyMap<string, { readonly root: "data" | "input"; readonly path: readonly Value[] }>;
  /** Rule names declared in the package (across all its modules). */
  readonly ruleNames: ReadonlySet<string>;
  /** Available builtins. */
  readonly builtins: BuiltinRegistry;
  /** Builtin names the modules replace with `with` somewhere (mock-only builtins are allowed for these). */
  readonly mocked: ReadonlySet<string>;
}

/** A lexical scope of local variables. */
export class Scope {
  /** Variables declared here (`:=`, `some`, arguments). */
  readonly declared = new Map<string, number>();
  /** Implicit (undeclared) variables owned by this scope. */
  readonly implicit = new Map<string, number>();
  /** Slots created in this scope. */
  readonly locals: number[] = [];

  /** Creates a scope whose implicit variables are `names` (the names its own body uses). */
  constructor(
    readonly parent: Scope | undefined,
    readonly names: ReadonlySet<string>,
  ) {}
}

const ROOTS = new Set(["input", "data"]);

function mk<X extends ITerm>(x: Omit<X, "single" | "evaluable">): X {
  return { single: false, evaluable: false, ...x } as X;
}

/** Resolves the bodies and head terms of one rule (or one query) into IR, allocating frame slots. */
export class Resolver {
  /** Number of slots allocated. */
  nslots = 0;

  constructor(private readonly env: ModuleEnv) {}

  /** Allocates a slot owned by `scope`. */
  private slot(scope: Scope): number {
    const s = this.nslots++;
    scope.locals.push(s);
    return s;
  }

  private varTerm(slot: number, name: string, loc: Location): IVar {
    return mk<IVar>({ t: T.Var, slot, name, bound: false, loc });
  }

  /** Looks a local up: declared names first (innermost out), then implicit names. */
  private lookupLocal(name: string, scope: Scope): number | undefined {
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      const d = s.declared.get(name);
      if (d !== undefined) return d;
    }
    return undefined;
  }

  /**
   * The implicit variable `name`: owned by the outermost enclosing body that uses the name (so a closure
   * shares it with its enclosing bodies, as OPA's closures do), else created in the current scope.
   */
  private implicitVar(name: string, scope: Scope): number {
    let owner: Scope | undefined;
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      if (s.implicit.has(name) || s.names.has(name)) owner = s;
    }
    const target = owner ?? scope;
    const existing = target.implicit.get(name);
    if (existing !== undefined) return existing;
    const slot = this.slot(target);
    target.implicit.set(name, slot);
    return slot;
  }

  /** A global meaning of `name` as a ref root (import, rule, input, data), or undefined. */
  private globalPath(name: string): { root: "data" | "input"; path: Value[] } | undefined {
    if (name === "input") return { root: "input", path: [] };
    if (name === "data") return { root: "data", path: [] };
    const imp = this.env.imports.get(name);
    if (imp !== undefined) return { root: imp.root, path: [...imp.path] };
    if (this.env.ruleNames.has(name)) return { root: "data", path: [...this.env.pkg, name] };
    return undefined;
  }

  /** Builds a reference from a root and steps, resolving the ground prefix of `data` to a tree node. */
  private rootRef(root: "data" | "input", steps: ITerm[], loc: Location): ITerm {
    if (root === "input") {
      const head = mk<ITerm>({ t: T.Input, loc } as never);
      return steps.length === 0 ? head : mk<ITerm>({ t: T.Ref, head, path: steps, loc } as never);
    }
    let node = this.env.root;
    let i = 0;
    for (; i < steps.length; i++) {
      const s = steps[i] as ITerm;
      if (s.t !== T.Const) break;
      const c = node.child(s.v);
      if (c === undefined) break;
      node = c;
    }
    const head = mk<ITerm>({ t: T.Data, node, loc } as never);
    const rest = steps.slice(i);
    return rest.length === 0 ? head : mk<ITerm>({ t: T.Ref, head, path: rest, loc } as never);
  }

  private constStep(v: Value, loc: Location): ITerm {
    return mk<ITerm>({ t: T.Const, v, loc } as never);
  }

  /** Resolves a term. */
  term(t: Term, scope: Scope): ITerm {
    switch (t.type) {
      case "scalar":
        return mk<ITerm>({ t: T.Const, v: t.value, loc: t.loc } as never);
      case "var":
        return this.name(t, [], scope);
      case "ref": {
        const path = t.path.map((p) => this.term(p, scope));
        if (t.head.type === "var") return this.name(t.head, path, scope);
        const head = this.term(t.head, scope);
        return mk<ITerm>({ t: T.Ref, head, path, loc: t.loc } as never);
      }
      case "array": {
        const items = t.items.map((x) => this.term(x, scope));
        if (items.every((x) => x.t === T.Const)) return this.constStep(items.map((x) => (x as { v: Value }).v), t.loc);
        return mk<ITerm>({ t: T.Array, items, loc: t.loc } as never);
      }
      case "set": {
        const items = t.items.map((x) => this.term(x, scope));
        if (items.every((x) => x.t === T.Const)) return this.constStep(RSet.from(items.map((x) => (x as { v: Value }).v)), t.loc);
        return mk<ITerm>({ t: T.Set, items, loc: t.loc } as never);
      }
      case "object": {
        const keys = t.entries.map(([k]) => this.term(k, scope));
        const values = t.entries.map(([, v]) => this.term(v, scope));
        if (keys.every((x) => x.t === T.Const) && values.every((x) => x.t === T.Const)) {
          const o = new RObject();
          keys.forEach((k, i) => o.set((k as { v: Value }).v, (values[i] as { v: Value }).v));
          return this.constStep(o, t.loc);
        }
        return mk<ITerm>({ t: T.Object, keys, values, loc: t.loc } as never);
      }
      case "arraycompr":
      case "setcompr": {
        const inner = new Scope(scope, namesOf(t.body, [t.head]));
        const body = this.body(t.body, inner);
        const head = this.term(t.head, inner);
        return mk<ITerm>({
          t: t.type === "arraycompr" ? T.ArrayCompr : T.SetCompr,
          head,
          body,
          locals: inner.locals,
          loc: t.loc,
        } as never);
      }
      case "objectcompr": {
        const inner = new Scope(scope, namesOf(t.body, [t.key, t.value]));
        const body = this.body(t.body, inner);
        const key = this.term(t.key, inner);
        const value = this.term(t.value, inner);
        return mk<ITerm>({ t: T.ObjectCompr, key, value, body, locals: inner.locals, loc: t.loc } as never);
      }
      case "call":
        return this.call(t.operator, t.args, scope, t.loc, false);
      case "template": {
        const parts = t.parts.map((p) => {
          if (typeof p === "string") return p;
          if (p.with.length > 0) return this.templateWith(p, scope);
          if (p.kind === "term") return this.term(p.term, scope);
          if (p.kind === "call") return this.call(p.call.operator, p.call.args, scope, p.call.loc, false);
          throw new RegoError("rego_parse_error", "invalid template-string expression", p.loc);
        });
        return mk<ITerm>({ t: T.Template, parts, loc: t.loc } as never);
      }
    }
  }

  /** A template part with `with` modifiers: `[tmp | tmp := term with ...]`, read back as one value. */
  private templateWith(p: Expr, scope: Scope): ITerm {
    const inner = new Scope(scope, new Set());
    const tmp = this.slot(inner);
    let value: ITerm;
    if (p.kind === "term") value = this.term(p.term, inner);
    else if (p.kind === "call") value = this.call(p.call.operator, p.call.args, inner, p.call.loc, false);
    else throw new RegoError("rego_parse_error", "invalid template-string expression", p.loc);
    const withs = p.with.map((w) => this.with(w, inner));
    const expr: IExpr = {
      e: E.Unify,
      lhs: this.varTerm(tmp, "__tmpl__", p.loc),
      rhs: value,
      assign: true,
      negated: false,
      withs,
      loc: p.loc,
    };
    return mk<ITerm>({
      t: T.ArrayCompr,
      head: this.varTerm(tmp, "__tmpl__", p.loc),
      body: [expr],
      locals: inner.locals,
      fromTemplate: true,
      loc: p.loc,
    } as never);
  }

  /** Resolves a name used as a term or ref head, with ref steps. */
  private name(v: VarTerm, path: ITerm[], scope: Scope): ITerm {
    const loc = v.loc;
    if (v.name === "_") {
      const head = this.varTerm(this.slot(scope), "_", loc);
      return path.length === 0 ? head : mk<ITerm>({ t: T.Ref, head, path, loc } as never);
    }
    const local = this.lookupLocal(v.name, scope);
    if (local === undefined) {
      const g = this.globalPath(v.name);
      if (g !== undefined) return this.rootRef(g.root, [...g.path.map((p) => this.constStep(p, loc)), ...path], loc);
    }
    const slot = local ?? this.implicitVar(v.name, scope);
    const head = this.varTerm(slot, v.name, loc);
    return path.length === 0 ? head : mk<ITerm>({ t: T.Ref, head, path, loc } as never);
  }

  /** Declares the variables of a pattern (`:=` left side, `some` and function arguments). */
  declare(t: Term, scope: Scope, allowRepeat = false): ITerm {
    switch (t.type) {
      case "var": {
        if (t.name === "_") return this.varTerm(this.slot(scope), "_", t.loc);
        if (ROOTS.has(t.name)) throw new RegoError("rego_compile_error", `cannot assign to ${t.name}`, t.loc);
        const existing = scope.declared.get(t.name);
        if (existing !== undefined) {
          if (allowRepeat) return this.varTerm(existing, t.name, t.loc);
          throw new RegoError("rego_compile_error", `var ${t.name} assigned above`, t.loc);
        }
        if (scope.implicit.has(t.name)) {
          throw new RegoError("rego_compile_error", `var ${t.name} referenced above`, t.loc);
        }
        const slot = this.slot(scope);
        scope.declared.set(t.name, slot);
        return this.varTerm(slot, t.name, t.loc);
      }
      case "array": {
        const items = t.items.map((x) => this.declare(x, scope, allowRepeat));
        return mk<ITerm>({ t: T.Array, items, loc: t.loc } as never);
      }
      case "object": {
        const keys = t.entries.map(([k]) => this.term(k, scope));
        const values = t.entries.map(([, v]) => this.declare(v, scope, allowRepeat));
        return mk<ITerm>({ t: T.Object, keys, values, loc: t.loc } as never);
      }
      case "scalar":
        return this.term(t, scope);
      default:
        if (allowRepeat) return this.term(t, scope);
        throw new RegoError("rego_compile_error", `cannot assign to ${t.type}`, t.loc);
    }
  }

  /** Resolves a call operator to a function target. */
  fnTarget(op: VarTerm | { type: "ref"; head: Term; path: readonly Term[]; loc: Location }, loc: Location): FnTarget {
    const names = operatorPath(op);
    if (names === undefined) throw new RegoError("rego_type_error", "illegal call operator", loc);
    const display = names.join(".");
    let dataPath: Value[] | undefined;
    if (names[0] === "data") dataPath = names.slice(1);
    else if (this.env.imports.has(names[0] as string)) {
      const imp = this.env.imports.get(names[0] as string);
      if (imp?.root === "data") dataPath = [...imp.path, ...names.slice(1)];
    } else if (this.env.ruleNames.has(names[0] as string)) dataPath = [...this.env.pkg, ...names];
    if (dataPath !== undefined) {
      let node: DataNode | undefined = this.env.root;
      for (const p of dataPath) node = node?.child(p);
      if (node !== undefined && node.functionArity !== undefined) {
        return { kind: "user", node, name: display };
      }
      if (names[0] !== "data") {
        const def = this.env.builtins.get(display);
        if (def !== undefined) return { kind: "builtin", def };
      }
      throw new RegoError("rego_type_error", `undefined function ${display}`, loc);
    }
    const def = this.env.builtins.get(display);
    if (def !== undefined) return { kind: "builtin", def };
    const stub = this.env.mocked.has(display) ? this.env.builtins.mockOnly(display) : undefined;
    if (stub !== undefined) return { kind: "builtin", def: stub };
    if (this.env.builtins.isKnownUnsupported(display)) throw new RegoUnsupportedError(display, loc);
    throw new RegoError("rego_type_error", `undefined function ${display}`, loc);
  }

  /** Resolves a call; at statement level extra arguments are outputs. */
  call(
    op: VarTerm | { type: "ref"; head: Term; path: readonly Term[]; loc: Location },
    args: readonly Term[],
    scope: Scope,
    loc: Location,
    statement: boolean,
  ): ICall {
    const fn = this.fnTarget(op, loc);
    const arity = fn.kind === "builtin" ? fn.def.arity : (fn.node.functionArity ?? 0);
    const max = statement ? arity + 1 : arity;
    if (args.length < arity || args.length > max) {
      const name = fn.kind === "builtin" ? fn.def.name : fn.name;
      throw new RegoError(
        "rego_type_error",
        `${name}: ${args.length < arity ? "too few" : "too many"} arguments (want ${arity}, got ${args.length})`,
        loc,
      );
    }
    const resolved = args.map((a) => this.term(a, scope));
    return mk<ICall>({ t: T.Call, fn, args: resolved, arity, loc });
  }

  /** Resolves a body in `scope`. */
  body(body: Body, scope: Scope): IExpr[] {
    return body.map((e) => this.expr(e, scope));
  }

  private expr(e: Expr, scope: Scope): IExpr {
    const base = { negated: e.negated, loc: e.loc };
    const withs = e.with.map((w) => this.with(w, scope));
    switch (e.kind) {
      case "term": {
        const term = this.term(e.term, scope);
        if (term.t === T.Call) return { e: E.Call, call: term, ...base, withs };
        return { e: E.Term, term, ...base, withs };
      }
      case "call":
        return { e: E.Call, call: this.call(e.call.operator, e.call.args, scope, e.call.loc, true), ...base, withs };
      case "unify":
        return { e: E.Unify, lhs: this.term(e.lhs, scope), rhs: this.term(e.rhs, scope), assign: false, ...base, withs };
      case "assign": {
        const rhs = this.term(e.rhs, scope);
        const lhs = this.declare(e.lhs, scope);
        return { e: E.Unify, lhs, rhs, assign: true, ...base, withs };
      }
      case "some":
        for (const v of e.vars) this.declare(v, scope);
        return { e: E.Noop, ...base, withs };
      case "somein": {
        const domain = this.term(e.domain, scope);
        const key = e.key === undefined ? undefined : this.declare(e.key, scope);
        const value = this.declare(e.value, scope);
        return { e: E.SomeIn, key, value, domain, ...base, withs };
      }
      case "every": {
        const domain = this.term(e.domain, scope);
        const inner = new Scope(scope, namesOf(e.body, []));
        const key = e.key === undefined ? undefined : this.declare(e.key, inner);
        const value = this.declare(e.value, inner);
        const body = this.body(e.body, inner);
        return { e: E.Every, key, value, domain, body, locals: inner.locals, ...base, withs };
      }
      case "logic": {
        const locals: number[] = [];
        const operands = e.operands.map((b) => {
          const inner = new Scope(scope, namesOf(b, []));
          const out = this.body(b, inner);
          locals.push(...inner.locals);
          return out;
        });
        return { e: E.Logic, op: e.op, operands, locals, ...base, withs };
      }
    }
  }

  private with(w: With, scope: Scope): IWith {
    const t = w.target;
    const headName = t.type === "var" ? t.name : t.head.type === "var" ? t.head.name : undefined;
    const steps = t.type === "ref" ? t.path : [];
    const stepValues = steps.map((s) => {
      if (s.type !== "scalar") throw new RegoError("rego_compile_error", "with target path must be ground", s.loc);
      return s.value as Value;
    });
    if (headName === "input") return { kind: "input", path: stepValues, value: this.term(w.value, scope), loc: w.loc };
    // Functions and builtins first: `with count as ...`, `with data.pkg.f as ...`.
    const fnTarget = this.tryFnTarget(t, scope, w.loc);
    if (fnTarget !== undefined) {
      const replacement = this.tryFnTarget(w.value, scope, w.loc);
      const value = replacement === undefined ? this.term(w.value, scope) : mk<ITerm>({ t: T.Const, v: null, loc: w.loc } as never);
      return { kind: "fn", target: fnTarget, replacement, value, loc: w.loc };
    }
    const value = this.term(w.value, scope);
    if (headName === "data") return { kind: "data", path: stepValues, value, loc: w.loc };
    if (headName !== undefined) {
      const g = this.globalPath(headName);
      if (g !== undefined && g.root === "data") return { kind: "data", path: [...g.path, ...stepValues], value, loc: w.loc };
      if (g !== undefined && g.root === "input") return { kind: "input", path: [...g.path, ...stepValues], value, loc: w.loc };
    }
    throw new RegoError("rego_compile_error", "with keyword target must reference existing input, data, or a function", w.loc);
  }

  /** The function a `with` target or value names, if it names one (locals and values do not). */
  private tryFnTarget(t: Term, scope: Scope, loc: Location): FnTarget | undefined {
    if (t.type !== "var" && t.type !== "ref") return undefined;
    const head = t.type === "var" ? t : t.head;
    if (head.type !== "var" || head.name === "input") return undefined;
    if (this.lookupLocal(head.name, scope) !== undefined || scope.implicit.has(head.name)) return undefined;
    try {
      return this.fnTarget(t, loc);
    } catch (err) {
      if (err instanceof RegoUnsupportedError) throw err;
      return undefined;
    }
  }
}

/** Dotted operator path of a call (`count`, `io.jwt.decode`, `data.pkg.f`), or undefined if not a name. */
function operatorPath(op: Term): string[] | undefined {
  if (op.type === "var") return op.name.includes(".") ? [op.name] : [op.name];
  if (op.type !== "ref" || op.head.type !== "var") return undefined;
  const out = [op.head.name];
  for (const p of op.path) {
    if (p.type !== "scalar" || typeof p.value !== "string") return undefined;
    out.push(p.value);
  }
  return out;
}

/**
 * Names a body uses directly (not inside nested closures), minus those it declares: the implicit variables
 * that nested closures share with it.
 */
export function namesOf(body: Body, heads: readonly Term[]): Set<string> {
  const used = new Set<string>();
  const declared = new Set<string>();
  const addTerm = (t: Term): void => {
    switch (t.type) {
      case "var":
        if (t.name !== "_") used.add(t.name);
        return;
      case "ref":
        addTerm(t.head);
        t.path.forEach(addTerm);
        return;
      case "array":
      case "set":
        t.items.forEach(addTerm);
        return;
      case "object":
        for (const [k, v] of t.entries) {
          addTerm(k);
          addTerm(v);
        }
        return;
      case "call":
        t.args.forEach(addTerm);
        return;
      case "template":
        for (const p of t.parts) if (typeof p !== "string") addExpr(p);
        return;
      default:
        return;
    }
  };
  const addDeclared = (t: Term): void => {
    if (t.type === "var") {
      if (t.name !== "_") declared.add(t.name);
    } else if (t.type === "array") t.items.forEach(addDeclared);
    else if (t.type === "object") for (const [, v] of t.entries) addDeclared(v);
  };
  const addExpr = (e: Expr): void => {
    switch (e.kind) {
      case "term":
        addTerm(e.term);
        break;
      case "call":
        addTerm(e.call);
        break;
      case "unify":
        addTerm(e.lhs);
        addTerm(e.rhs);
        break;
      case "assign":
        addTerm(e.rhs);
        addDeclared(e.lhs);
        break;
      case "some":
        e.vars.forEach(addDeclared);
        break;
      case "somein":
        addTerm(e.domain);
        if (e.key !== undefined) addDeclared(e.key);
        addDeclared(e.value);
        break;
      case "every":
        addTerm(e.domain);
        break;
      case "logic":
        break;
    }
    for (const w of e.with) addTerm(w.value);
  };
  body.forEach(addExpr);
  heads.forEach(addTerm);
  for (const d of declared) used.delete(d);
  return used;
}
