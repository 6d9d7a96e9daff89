/**
 * The compiler: places every rule in the data tree (by the ground prefix of its head ref), resolves names,
 * orders bodies for safety and checks heads. Everything that can be rejected is rejected here, so a
 * compiled policy never meets an unsupported construct at request time.
 */
import type { Body, Module, Rule, Term } from "./ast.js";
import type { BuiltinRegistry } from "./builtins/types.js";
import { DataNode } from "./data-tree.js";
import { RegoError } from "./errors.js";
import { E, T, type IClause, type IExpr, type IRule, type ITerm } from "./ir.js";
import { namesOf, Resolver, Scope, type ModuleEnv } from "./resolve.js";
import { finishHeadTerm, reorderBody } from "./safety.js";
import type { Value } from "./value.js";

/** A compiled set of modules. */
export interface CompiledPolicy {
  /** Root of the data tree. */
  readonly root: DataNode;
  /** The builtins the policy was compiled against. */
  readonly builtins: BuiltinRegistry;
}

/** A compiled query. */
export interface CompiledQuery {
  /** The ordered body. */
  readonly body: IExpr[];
  /** Frame size. */
  readonly nslots: number;
  /** User-visible query variables and their slots, in first-use order. */
  readonly vars: readonly { readonly name: string; readonly slot: number }[];
}

interface Placement {
  readonly rule: Rule;
  readonly env: ModuleEnv;
  readonly node: DataNode;
  /** Head ref steps below `node` (non-empty for object rules). */
  readonly suffix: readonly Term[];
}

/** Compiles modules against `builtins`. Throws RegoError (with file:line:col) on any problem. */
export function compileModules(modules: readonly Module[], builtins: BuiltinRegistry): CompiledPolicy {
  const root = new DataNode([]);
  const ruleNames = new Map<string, Set<string>>();
  for (const m of modules) {
    const key = JSON.stringify(m.pkg);
    let names = ruleNames.get(key);
    if (names === undefined) ruleNames.set(key, (names = new Set()));
    for (const r of m.rules) names.add((r.ref[0] as { name: string }).name);
    let node = root;
    for (const p of m.pkg) node = node.ensureChild(p);
  }
  const mocked = withTargets(modules);
  const placements: Placement[] = [];
  for (const m of modules) {
    const env: ModuleEnv = {
      root,
      pkg: m.pkg,
      imports: importsOf(m),
      ruleNames: ruleNames.get(JSON.stringify(m.pkg)) as Set<string>,
      builtins,
      mocked,
    };
    for (const rule of m.rules) placements.push(place(rule, env, root));
  }
  for (const p of placements) attach(p);
  checkConflicts(root);
  return { root, builtins };
}

/** Compiles a query against a compiled policy (no package: only `data` and `input` are global). */
export function compileQuery(policy: CompiledPolicy, body: Body): CompiledQuery {
  const env: ModuleEnv = {
    root: policy.root,
    pkg: [],
    imports: new Map(),
    ruleNames: new Set(),
    builtins: policy.builtins,
    mocked: withTargets([{ file: "query", pkg: [], pkgLoc: { file: "query", line: 1, col: 1 }, imports: [], rules: [{ ref: [], args: undefined, kind: "single", key: undefined, value: undefined, isDefault: false, body, elses: [], loc: { file: "query", line: 1, col: 1 } }] }]),
  };
  const resolver = new Resolver(env);
  const scope = new Scope(undefined, namesOf(body, []));
  const ir = resolver.body(body, scope);
  reorderBody(ir, new Set());
  const vars = [...scope.implicit.entries(), ...scope.declared.entries()]
    .filter(([name]) => !name.startsWith("__"))
    .map(([name, slot]) => ({ name, slot }))
    .sort((a, b) => a.slot - b.slot);
  return { body: ir, nslots: resolver.nslots, vars };
}

/** Dotted names of every `with` target in the modules (e.g. `http.send`). */
function withTargets(modules: readonly Module[]): Set<string> {
  const out = new Set<string>();
  const visitBody = (body: Body): void => {
    for (const e of body) {
      for (const w of e.with) {
        const t = w.target;
        const head = t.type === "var" ? t : t.head;
        if (head.type !== "var") continue;
        const steps = t.type === "ref" ? t.path : [];
        if (steps.every((s) => s.type === "scalar" && typeof s.value === "string")) {
          out.add([head.name, ...steps.map((s) => (s as { value: string }).value)].join("."));
        }
      }
      if (e.kind === "every") visitBody(e.body);
      if (e.kind === "logic") e.operands.forEach(visitBody);
    }
  };
  for (const m of modules) {
    for (const r of m.rules) {
      visitBody(r.body);
      for (const e of r.elses) visitBody(e.body);
    }
  }
  return out;
}

function importsOf(m: Module): Map<string, { root: "data" | "input"; path: Value[] }> {
  const out = new Map<string, { root: "data" | "input"; path: Value[] }>();
  for (const imp of m.imports) {
    const head = imp.path.type === "var" ? imp.path : imp.path.head;
    const steps = imp.path.type === "ref" ? imp.path.path : [];
    const root = (head as { name: string }).name;
    if (root !== "data" && root !== "input") continue;
    const path = steps.map((s) => {
      if (s.type !== "scalar") throw new RegoError("rego_parse_error", "import path must be ground", s.loc);
      return s.value as Value;
    });
    const alias = imp.alias ?? (path.length === 0 ? root : String(path[path.length - 1]));
    out.set(alias, { root, path });
  }
  return out;
}

/** Finds the node of a rule: the ground prefix of package path + head ref. */
function place(rule: Rule, env: ModuleEnv, root: DataNode): Placement {
  let node = root;
  for (const p of env.pkg) node = node.ensureChild(p);
  const steps: Term[] = [...rule.ref];
  const first = steps.shift() as { name: string };
  node = node.ensureChild(first.name);
  let i = 0;
  for (; i < steps.length; i++) {
    const s = steps[i] as Term;
    if (s.type !== "scalar") break;
    node = node.ensureChild(s.value as Value);
  }
  const suffix = steps.slice(i);
  if (rule.args !== undefined) {
    if (node.functionArity !== undefined && node.functionArity !== rule.args.length) {
      throw new RegoError("rego_type_error", `conflicting arity for function ${node.toString()}`, rule.loc);
    }
    node.functionArity = rule.args.length;
  }
  if (rule.args !== undefined && suffix.length > 0) {
    throw new RegoError("rego_compile_error", "function head refs must be ground", rule.loc);
  }
  if (rule.isDefault && suffix.length > 0) {
    throw new RegoError("rego_compile_error", "default rules must have ground refs", rule.loc);
  }
  return { rule, env, node, suffix };
}

/** Compiles a placed rule and attaches it to its node. */
function attach(p: Placement): void {
  const { rule, env, node } = p;
  const resolver = new Resolver(env);
  const argScope = new Scope(undefined, new Set());
  // Plain variable arguments bind on the call; other argument patterns are matched by an equality at the
  // start of each clause body (as OPA rewrites them), so safety ordering can place it after what it needs.
  const patternArgs: { index: number; term: Term; slot: ITerm }[] = [];
  const args = (rule.args ?? []).map((a, index) => {
    if (a.type === "var") return resolver.declare(a, argScope, true);
    const slot = resolver.declare({ type: "var", name: `__arg${index}__`, loc: a.loc }, argScope, true);
    patternArgs.push({ index, term: a, slot });
    return slot;
  });
  const argSlots = new Set(args.filter((a) => a.t === T.Var).map((a) => (a as { slot: number }).slot));
  const clauses: IClause[] = [];
  let key: ITerm | undefined;
  const suffix: ITerm[] = [];
  const all: { value: Term | undefined; body: Body; loc: typeof rule.loc; main: boolean }[] = [
    { value: rule.value, body: rule.body, loc: rule.loc, main: true },
    ...rule.elses.map((e) => ({ value: e.value ?? rule.value ?? undefined, body: e.body, loc: e.loc, main: false })),
  ];
  for (const [idx, c] of all.entries()) {
    const elseValue = idx > 0 ? rule.elses[idx - 1]?.value : undefined;
    const valueTerm = idx === 0 ? c.value : elseValue;
    const heads: Term[] = [];
    if (valueTerm !== undefined) heads.push(valueTerm);
    if (c.main && rule.key !== undefined) heads.push(rule.key);
    if (c.main) heads.push(...p.suffix);
    const scope = new Scope(argScope, namesOf(c.body, heads));
    const argExprs: IExpr[] = patternArgs.map(({ term, slot }) => ({
      e: E.Unify,
      lhs: resolver.declare(term, scope, true),
      rhs: { ...slot },
      assign: false,
      negated: false,
      withs: [],
      loc: term.loc,
    }));
    const body = [...argExprs, ...resolver.body(c.body, scope)];
    const value: ITerm =
      valueTerm === undefined
        ? ({ t: T.Const, v: true, loc: c.loc, single: true, evaluable: true } as ITerm)
        : resolver.term(valueTerm, scope);
    if (c.main) {
      if (rule.key !== undefined) key = resolver.term(rule.key, scope);
      for (const s of p.suffix) suffix.push(resolver.term(s, scope));
    }
    const safe = reorderBody(body, argSlots);
    finishHeadTerm(value, safe);
    if (c.main) {
      if (key !== undefined) finishHeadTerm(key, safe);
      for (const s of suffix) finishHeadTerm(s, safe);
    }
    clauses.push({ value, body, loc: c.loc });
  }
  for (const a of args) finishHeadTerm(a, argSlots);
  const isFunction = rule.args !== undefined;
  let kind: IRule["kind"];
  if (isFunction) kind = "function";
  else if (suffix.length > 0) kind = "object";
  else kind = rule.kind === "multi" ? "multi" : "complete";
  const compiled: IRule = {
    kind,
    suffix,
    leaf: rule.kind === "multi" ? "multi" : "value",
    args,
    key,
    clauses,
    isDefault: rule.isDefault,
    nslots: resolver.nslots,
    loc: rule.loc,
  };
  if (kind === "function") {
    if (rule.isDefault) {
      if (node.defaultFunction !== undefined) throw new RegoError("rego_type_error", "multiple default rules found", rule.loc);
      node.defaultFunction = compiled;
    } else node.functions.push(compiled);
  } else if (rule.isDefault) {
    if (node.defaultRule !== undefined) {
      throw new RegoError("rego_type_error", `multiple default rules ${node.toString()} found`, rule.loc);
    }
    node.defaultRule = compiled;
  } else if (kind === "complete") node.complete.push(compiled);
  else if (kind === "multi") node.multi.push(compiled);
  else node.objectRules.push(compiled);
}

/** Rejects trees where one path is defined as two kinds of document. */
function checkConflicts(node: DataNode): void {
  const leafKinds = (node.complete.length > 0 || node.defaultRule !== undefined ? 1 : 0) + (node.multi.length > 0 ? 1 : 0);
  const isFn = node.functions.length > 0 || node.defaultFunction !== undefined;
  const loc = (node.complete[0] ?? node.multi[0] ?? node.functions[0] ?? node.defaultRule ?? node.objectRules[0])?.loc;
  if (leafKinds > 1 || (isFn && (leafKinds > 0 || node.objectRules.length > 0))) {
    throw new RegoError("rego_type_error", `conflicting rules ${node.toString()} found`, loc);
  }
  if (leafKinds > 0 && (node.children.size > 0 || node.objectRules.length > 0)) {
    throw new RegoError("rego_type_error", `rule ${node.toString()} conflicts with other rules below it`, loc);
  }
  for (const c of node.children.values()) checkConflicts(c);
}
