/**
 * Safety analysis, as OPA's compiler does it: every variable must be bound by some expression before it is
 * used as an input. Expressions are reordered (stably) so that producers come first; a body that cannot be
 * ordered is an unsafe-variable error. Along the way every variable occurrence learns whether it is bound
 * there, and every term whether it is `single` (one value, binds nothing) or `evaluable` (can be enumerated),
 * which lets the evaluator pick fast paths without looking at bindings.
 */
import { RegoError } from "./errors.js";
import { E, FAST_BIND, FAST_TEST, T, type IExpr, type ITerm } from "./ir.js";

type Slots = Set<number>;

/** Reorders `body` in place for safety given the variables bound before it; returns those bound after. */
export function reorderBody(body: IExpr[], safe: ReadonlySet<number>): Set<number> {
  const s = new Set(safe);
  const remaining = [...body];
  const ordered: IExpr[] = [];
  let progress = true;
  // A negated expression normally needs all its variables bound first (as in OPA); only when nothing else
  // can make progress may it keep variables to itself (`not p[x]` with `x` used nowhere else).
  let lenient = false;
  while (remaining.length > 0 && (progress || !lenient)) {
    if (!progress) lenient = true;
    progress = false;
    for (let i = 0; i < remaining.length; ) {
      const e = remaining[i] as IExpr;
      const out = exprOutputs(e, s);
      const needs = exprNeeds(e);
      let ready = true;
      for (const v of needs) {
        if (!s.has(v) && (!out.has(v) || (e.negated && !lenient))) {
          ready = false;
          break;
        }
      }
      if (!ready) {
        i++;
        continue;
      }
      prepareExpr(e, s);
      ordered.push(e);
      remaining.splice(i, 1);
      progress = true;
      lenient = false;
      if (e.negated) {
        e.negLocals = [...out].filter((v) => !s.has(v));
      } else {
        for (const v of out) s.add(v);
      }
    }
  }
  if (remaining.length > 0) {
    const e = remaining[0] as IExpr;
    const out = exprOutputs(e, s);
    const names: string[] = [];
    forEachVarOccurrence(e, (slot, name) => {
      if (!s.has(slot) && !out.has(slot) && !names.includes(name)) names.push(name);
    });
    throw new RegoError("rego_unsafe_var_error", `var ${names[0] ?? "?"} is unsafe`, e.loc);
  }
  body.splice(0, body.length, ...ordered);
  return s;
}

/** Checks that a head term's variables are bound after the body, then annotates it. */
export function finishHeadTerm(t: ITerm, safe: ReadonlySet<number>): void {
  const s = new Set(safe);
  const outs = new Set<number>();
  refOutputs(t, s, outs);
  const missing: string[] = [];
  forEachTermVar(t, (slot, name) => {
    if (!s.has(slot) && !outs.has(slot)) missing.push(name);
  });
  if (missing.length > 0) throw new RegoError("rego_unsafe_var_error", `var ${missing[0]} is unsafe`, t.loc);
  markTerm(t, s);
  prepareClosures(t, s);
  flagTerm(t);
}

// ---- outputs and needs ----

/** Variables an expression binds when the variables in `safe` are already bound. */
function exprOutputs(e: IExpr, safe: Slots): Slots {
  const out = new Set<number>();
  switch (e.e) {
    case E.Term:
      refOutputs(e.term, safe, out);
      break;
    case E.Call: {
      const args = e.call.args;
      for (let i = 0; i < e.call.arity; i++) refOutputs(args[i] as ITerm, safe, out);
      if (args.length > e.call.arity) {
        const known = union(safe, out);
        let inputsOk = true;
        for (let i = 0; i < e.call.arity && inputsOk; i++) inputsOk = evaluableUnder(args[i] as ITerm, known);
        if (inputsOk) for (let i = e.call.arity; i < args.length; i++) patternVars(args[i] as ITerm, out, known);
      }
      break;
    }
    case E.Unify: {
      refOutputs(e.lhs, safe, out);
      refOutputs(e.rhs, safe, out);
      for (const v of unifyOutputs(e.lhs, e.rhs, union(safe, out))) out.add(v);
      break;
    }
    case E.SomeIn: {
      refOutputs(e.domain, safe, out);
      if (evaluableUnder(e.domain, union(safe, out))) {
        if (e.key !== undefined) patternVars(e.key, out, safe);
        patternVars(e.value, out, safe);
      }
      break;
    }
    default:
      break;
  }
  return out;
}

/** Every variable an expression mentions that is not local to one of its closures. */
function exprNeeds(e: IExpr): Slots {
  const out = new Set<number>();
  forEachVarOccurrence(e, (slot) => out.add(slot));
  return out;
}

function union(a: ReadonlySet<number>, b: ReadonlySet<number>): Slots {
  const u = new Set(a);
  for (const x of b) u.add(x);
  return u;
}

/** Variables in ref brackets whose ref can be enumerated (`data.a[i]` outputs `i`). */
function refOutputs(t: ITerm, safe: Slots, out: Slots): void {
  switch (t.t) {
    case T.Ref: {
      refOutputs(t.head, safe, out);
      if (evaluableUnder(t.head, union(safe, out))) {
        for (const p of t.path) {
          if (p.t === T.Var || p.t === T.Array || p.t === T.Object) patternVars(p, out, safe);
          else refOutputs(p, safe, out);
        }
      }
      return;
    }
    case T.Array:
    case T.Set:
      for (const x of t.items) refOutputs(x, safe, out);
      return;
    case T.Object:
      for (const x of t.keys) refOutputs(x, safe, out);
      for (const x of t.values) refOutputs(x, safe, out);
      return;
    case T.Call:
      for (const x of t.args) refOutputs(x, safe, out);
      return;
    case T.Template:
      for (const p of t.parts) if (typeof p !== "string") refOutputs(p, safe, out);
      return;
    default:
      return;
  }
}

/** Adds the variables of a pattern (vars, arrays and object values of them; refs contribute their outputs). */
function patternVars(t: ITerm, out: Slots, safe: Slots): void {
  switch (t.t) {
    case T.Var:
      out.add(t.slot);
      return;
    case T.Array:
      for (const x of t.items) patternVars(x, out, safe);
      return;
    case T.Object:
      for (const x of t.values) patternVars(x, out, safe);
      return;
    default:
      refOutputs(t, safe, out);
  }
}

/** Whether every variable of `t` outside ref brackets is in `known` (ref brackets may bind). */
function evaluableUnder(t: ITerm, known: Slots): boolean {
  switch (t.t) {
    case T.Const:
    case T.Input:
    case T.Data:
      return true;
    case T.Var:
      return known.has(t.slot);
    case T.Ref: {
      if (!evaluableUnder(t.head, known)) return false;
      for (const p of t.path) {
        if (p.t === T.Var || p.t === T.Array || p.t === T.Object) {
          if (!patternKeysEvaluable(p, known)) return false;
        } else if (!evaluableUnder(p, known)) return false;
      }
      return true;
    }
    case T.Array:
    case T.Set:
      return t.items.every((x) => evaluableUnder(x, known));
    case T.Object:
      return t.keys.every((x) => evaluableUnder(x, known)) && t.values.every((x) => evaluableUnder(x, known));
    case T.Call:
      return t.args.every((x) => evaluableUnder(x, known));
    case T.Template:
      return t.parts.every((p) => typeof p === "string" || evaluableUnder(p, known));
    default: {
      // Closures: their free variables must be bound.
      let ok = true;
      forEachTermVar(t, (slot) => {
        if (!known.has(slot)) ok = false;
      });
      return ok;
    }
  }
}

function patternKeysEvaluable(t: ITerm, known: Slots): boolean {
  if (t.t === T.Object) return t.keys.every((k) => evaluableUnder(k, known)) && t.values.every((v) => patternKeysEvaluable(v, known));
  if (t.t === T.Array) return t.items.every((x) => patternKeysEvaluable(x, known));
  if (t.t === T.Var) return true;
  return evaluableUnder(t, known);
}

/** OPA's unifier: which variables `a = b` binds given the bound set `safe`. */
function unifyOutputs(a: ITerm, b: ITerm, safe: Slots): Slots {
  const unified = new Set<number>();
  const unknown = new Map<number, Set<number>>();
  const isSafe = (v: number): boolean => safe.has(v) || unified.has(v);
  const known = (): Slots => union(safe, unified);
  const markSafe = (v: number): void => {
    if (unified.has(v)) return;
    unified.add(v);
    const deps = unknown.get(v);
    if (deps !== undefined) {
      unknown.delete(v);
      for (const w of deps) markSafe(w);
    }
  };
  const markUnknown = (a1: number, b1: number): void => {
    let s = unknown.get(a1);
    if (s === undefined) unknown.set(a1, (s = new Set()));
    s.add(b1);
  };
  const markAllSafe = (t: ITerm): void => {
    const vs = new Set<number>();
    patternVars(t, vs, known());
    for (const v of vs) markSafe(v);
  };
  const unifyAll = (v: number, composite: ITerm): void => {
    if (isSafe(v)) {
      markAllSafe(composite);
      return;
    }
    const vs = new Set<number>();
    patternVars(composite, vs, known());
    let all = true;
    for (const w of vs) if (!isSafe(w)) all = false;
    if (all) markSafe(v);
    else for (const w of vs) if (!isSafe(w)) markUnknown(w, v);
  };
  const isComposite = (t: ITerm): boolean => t.t === T.Array || t.t === T.Object;
  const go = (x: ITerm, y: ITerm): void => {
    if (x.t === T.Var) {
      if (y.t === T.Var) {
        if (isSafe(y.slot)) markSafe(x.slot);
        else if (isSafe(x.slot)) markSafe(y.slot);
        else {
          markUnknown(x.slot, y.slot);
          markUnknown(y.slot, x.slot);
        }
      } else if (isComposite(y)) unifyAll(x.slot, y);
      else if (evaluableUnder(y, known())) markSafe(x.slot);
      return;
    }
    if (y.t === T.Var) {
      go(y, x);
      return;
    }
    if (x.t === T.Array && y.t === T.Array) {
      if (x.items.length === y.items.length) x.items.forEach((it, i) => go(it, y.items[i] as ITerm));
      return;
    }
    if (x.t === T.Object && y.t === T.Object) {
      if (evaluableUnder(x, known())) markAllSafe(y);
      if (evaluableUnder(y, known())) markAllSafe(x);
      x.keys.forEach((k, i) => {
        const j = y.keys.findIndex(
          (k2) => (k.t === T.Const && k2.t === T.Const && k2.v === k.v) || (k.t === T.Var && k2.t === T.Var && k.slot === k2.slot),
        );
        if (j >= 0) go(x.values[i] as ITerm, y.values[j] as ITerm);
      });
      return;
    }
    if (isComposite(x) && !isComposite(y)) {
      if (evaluableUnder(y, known())) markAllSafe(x);
      return;
    }
    if (isComposite(y) && !isComposite(x)) {
      if (evaluableUnder(x, known())) markAllSafe(y);
    }
  };
  // Two passes let bindings found late flow to pairs seen early (`[x, y] = [y, 1]`).
  go(a, b);
  go(a, b);
  return unified;
}

// ---- annotation ----

/** Marks bound variables, reorders nested closures and computes term flags for an expression placed now. */
function prepareExpr(e: IExpr, safe: Slots): void {
  const visit = (t: ITerm): void => {
    markTerm(t, safe);
    prepareClosures(t, safe);
    flagTerm(t);
  };
  for (const w of e.withs) visit(w.value);
  switch (e.e) {
    case E.Term:
      visit(e.term);
      break;
    case E.Call:
      visit(e.call);
      break;
    case E.Unify:
      visit(e.lhs);
      visit(e.rhs);
      break;
    case E.SomeIn:
      visit(e.domain);
      if (e.key !== undefined) visit(e.key);
      visit(e.value);
      break;
    case E.Every: {
      visit(e.domain);
      const inner = new Set(safe);
      const kv = new Set<number>();
      if (e.key !== undefined) patternVars(e.key, kv, inner);
      patternVars(e.value, kv, inner);
      if (e.key !== undefined) visit(e.key);
      visit(e.value);
      for (const v of kv) inner.add(v);
      reorderBody(e.body, inner);
      break;
    }
    case E.Logic:
      for (const operand of e.operands) reorderBody(operand, safe);
      break;
    default:
      break;
  }
  classifyFast(e);
}

/** Marks expressions the evaluator can run without continuations (see `Evaluation.evalBody`). */
function classifyFast(e: IExpr): void {
  if (e.withs.length > 0) return;
  const unboundVar = (t: ITerm): boolean => t.t === T.Var && !t.bound;
  switch (e.e) {
    case E.Term:
      if (e.term.single) e.fast = FAST_TEST;
      return;
    case E.Call: {
      const c = e.call;
      let inputs = true;
      for (let i = 0; i < c.arity; i++) inputs &&= (c.args[i] as ITerm).single;
      const relation = c.fn.kind === "builtin" && c.fn.def.relation !== undefined;
      if (!inputs || relation) return;
      if (c.args.length === c.arity) e.fast = FAST_TEST;
      else if (!e.negated && unboundVar(c.args[c.arity] as ITerm)) {
        e.fast = FAST_BIND;
        e.bindSlot = (c.args[c.arity] as { slot: number }).slot;
        e.bindValue = c;
      }
      return;
    }
    case E.Unify:
      if (e.lhs.single && e.rhs.single) e.fast = FAST_TEST;
      else if (!e.negated && unboundVar(e.lhs) && e.rhs.single) {
        e.fast = FAST_BIND;
        e.bindSlot = (e.lhs as { slot: number }).slot;
        e.bindValue = e.rhs;
      } else if (!e.negated && unboundVar(e.rhs) && e.lhs.single) {
        e.fast = FAST_BIND;
        e.bindSlot = (e.rhs as { slot: number }).slot;
        e.bindValue = e.lhs;
      }
      return;
    case E.Noop:
      if (!e.negated) e.fast = FAST_TEST;
      return;
    default:
      return;
  }
}

/** Reorders the bodies of closures inside `t` (not inside nested closures' own handling). */
function prepareClosures(t: ITerm, safe: Slots): void {
  switch (t.t) {
    case T.ArrayCompr:
    case T.SetCompr: {
      const after = reorderBody(t.body, safe);
      finishHeadTerm(t.head, after);
      return;
    }
    case T.ObjectCompr: {
      const after = reorderBody(t.body, safe);
      finishHeadTerm(t.key, after);
      finishHeadTerm(t.value, after);
      return;
    }
    case T.Ref:
      prepareClosures(t.head, safe);
      for (const p of t.path) prepareClosures(p, safe);
      return;
    case T.Array:
    case T.Set:
      for (const x of t.items) prepareClosures(x, safe);
      return;
    case T.Object:
      for (const x of t.keys) prepareClosures(x, safe);
      for (const x of t.values) prepareClosures(x, safe);
      return;
    case T.Call:
      for (const x of t.args) prepareClosures(x, safe);
      return;
    case T.Template:
      for (const p of t.parts) if (typeof p !== "string") prepareClosures(p, safe);
      return;
    default:
      return;
  }
}

/** Sets `bound` on variable occurrences of `t` (outside closures). */
function markTerm(t: ITerm, safe: ReadonlySet<number>): void {
  switch (t.t) {
    case T.Var:
      t.bound = safe.has(t.slot);
      return;
    case T.Ref:
      markTerm(t.head, safe);
      for (const p of t.path) markTerm(p, safe);
      return;
    case T.Array:
    case T.Set:
      for (const x of t.items) markTerm(x, safe);
      return;
    case T.Object:
      for (const x of t.keys) markTerm(x, safe);
      for (const x of t.values) markTerm(x, safe);
      return;
    case T.Call:
      for (const x of t.args) markTerm(x, safe);
      return;
    case T.Template:
      for (const p of t.parts) if (typeof p !== "string") markTerm(p, safe);
      return;
    default:
      return;
  }
}

/** Computes `single` and `evaluable` bottom-up (variables must already be marked). */
function flagTerm(t: ITerm): void {
  switch (t.t) {
    case T.Const:
    case T.Input:
    case T.Data:
    case T.ArrayCompr:
    case T.SetCompr:
    case T.ObjectCompr:
      t.single = true;
      t.evaluable = true;
      return;
    case T.Var:
      t.single = t.bound;
      t.evaluable = t.bound;
      return;
    case T.Ref: {
      flagTerm(t.head);
      let single = t.head.single;
      let evaluable = t.head.evaluable;
      for (const p of t.path) {
        flagTerm(p);
        single &&= p.single;
        evaluable &&= p.evaluable || isPattern(p);
      }
      t.single = single;
      t.evaluable = evaluable;
      return;
    }
    case T.Array:
    case T.Set:
      for (const x of t.items) flagTerm(x);
      t.single = t.items.every((x) => x.single);
      t.evaluable = t.items.every((x) => x.evaluable);
      return;
    case T.Object:
      for (const x of t.keys) flagTerm(x);
      for (const x of t.values) flagTerm(x);
      t.single = t.keys.every((x) => x.single) && t.values.every((x) => x.single);
      t.evaluable = t.keys.every((x) => x.evaluable) && t.values.every((x) => x.evaluable);
      return;
    case T.Call:
      for (const x of t.args) flagTerm(x);
      t.single = t.args.every((x) => x.single) && !(t.fn.kind === "builtin" && t.fn.def.relation !== undefined);
      t.evaluable = t.args.every((x) => x.evaluable);
      return;
    case T.Template:
      for (const p of t.parts) if (typeof p !== "string") flagTerm(p);
      t.single = t.parts.every((p) => typeof p === "string" || p.single);
      t.evaluable = t.parts.every((p) => typeof p === "string" || p.evaluable);
      return;
  }
}

/** A term that can bind variables by matching (a var, or an array/object of patterns). */
function isPattern(t: ITerm): boolean {
  if (t.t === T.Var) return true;
  if (t.t === T.Array) return t.items.every((x) => x.evaluable || isPattern(x));
  if (t.t === T.Object) return t.keys.every((k) => k.evaluable) && t.values.every((x) => x.evaluable || isPattern(x));
  return false;
}

// ---- variable walks ----

/** Calls `f` for each variable occurrence in `t`, descending into closures but skipping their locals. */
function forEachTermVar(t: ITerm, f: (slot: number, name: string) => void): void {
  switch (t.t) {
    case T.Var:
      f(t.slot, t.name);
      return;
    case T.Ref:
      forEachTermVar(t.head, f);
      for (const p of t.path) forEachTermVar(p, f);
      return;
    case T.Array:
    case T.Set:
      for (const x of t.items) forEachTermVar(x, f);
      return;
    case T.Object:
      for (const x of t.keys) forEachTermVar(x, f);
      for (const x of t.values) forEachTermVar(x, f);
      return;
    case T.Call:
      for (const x of t.args) forEachTermVar(x, f);
      return;
    case T.Template:
      for (const p of t.parts) if (typeof p !== "string") forEachTermVar(p, f);
      return;
    case T.ArrayCompr:
    case T.SetCompr: {
      const locals = new Set(t.locals);
      const g = (slot: number, name: string): void => {
        if (!locals.has(slot)) f(slot, name);
      };
      forEachTermVar(t.head, g);
      for (const e of t.body) forEachVarOccurrence(e, g);
      return;
    }
    case T.ObjectCompr: {
      const locals = new Set(t.locals);
      const g = (slot: number, name: string): void => {
        if (!locals.has(slot)) f(slot, name);
      };
      forEachTermVar(t.key, g);
      forEachTermVar(t.value, g);
      for (const e of t.body) forEachVarOccurrence(e, g);
      return;
    }
    default:
      return;
  }
}

/** Calls `f` for each variable occurrence in an expression (closure locals skipped). */
function forEachVarOccurrence(e: IExpr, f: (slot: number, name: string) => void): void {
  for (const w of e.withs) forEachTermVar(w.value, f);
  switch (e.e) {
    case E.Term:
      forEachTermVar(e.term, f);
      return;
    case E.Call:
      forEachTermVar(e.call, f);
      return;
    case E.Unify:
      forEachTermVar(e.lhs, f);
      forEachTermVar(e.rhs, f);
      return;
    case E.SomeIn:
      forEachTermVar(e.domain, f);
      if (e.key !== undefined) forEachTermVar(e.key, f);
      forEachTermVar(e.value, f);
      return;
    case E.Every: {
      forEachTermVar(e.domain, f);
      const locals = new Set(e.locals);
      const g = (slot: number, name: string): void => {
        if (!locals.has(slot)) f(slot, name);
      };
      for (const x of e.body) forEachVarOccurrence(x, g);
      return;
    }
    case E.Logic: {
      const locals = new Set(e.locals);
      const g = (slot: number, name: string): void => {
        if (!locals.has(slot)) f(slot, name);
      };
      for (const operand of e.operands) for (const x of operand) forEachVarOccurrence(x, g);
      return;
    }
    default:
      return;
  }
}
