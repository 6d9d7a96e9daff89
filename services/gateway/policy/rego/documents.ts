/**
 * Values of documents: a data-tree node's value (complete rules with defaults and conflict checks, sets of
 * `contains` rules, objects built from children, object rules and base data), user function calls, and the
 * `with data...` replacements that override them. Results are cached per evaluation state.
 */
import type { DataNode } from "./data-tree.js";
import { RegoError, type Location } from "./errors.js";
import type { Evaluation, Frame } from "./evaluator.js";
import { patchValue } from "./evaluator.js";
import { T, type IRule, type ITerm } from "./ir.js";
import { hashKey, lookup, RObject, RSet, valuesEqual, type Value } from "./value.js";

const UNDEFINED = Symbol("undefined");
const BUSY = Symbol("busy");

/** Marker: no `with` replacement applies. */
export const NO_OVERRIDE = Symbol("no-override");

/** The value of a node, or undefined. */
export function evalNode(ev: Evaluation, node: DataNode): Value | undefined {
  if (ev.dataOverrides.length > 0) {
    const o = overrideAt(ev, node);
    if (o !== NO_OVERRIDE) return o;
  }
  const cache = ev.cache;
  const hit = cache.get(node);
  if (hit !== undefined) {
    if (hit === BUSY) throw new RegoError("eval_recursion_error", `recursion found on ${node.toString()}`);
    return hit === UNDEFINED ? undefined : (hit as Value);
  }
  cache.set(node, BUSY);
  let v: Value | undefined;
  try {
    v = computeNode(ev, node);
    if (v !== undefined && ev.dataOverrides.length > 0) v = applyDeeperOverrides(ev, node, v);
  } catch (err) {
    cache.delete(node);
    throw err;
  }
  cache.set(node, v === undefined ? UNDEFINED : v);
  return v;
}

/** The replacement for a node from `with data...` (exact or on an ancestor), or NO_OVERRIDE. */
export function overrideAt(ev: Evaluation, node: DataNode): Value | undefined | typeof NO_OVERRIDE {
  const path = node.path;
  for (let i = ev.dataOverrides.length - 1; i >= 0; i--) {
    const o = ev.dataOverrides[i] as { path: readonly Value[]; value: Value };
    if (o.path.length > path.length) continue;
    let prefix = true;
    for (let j = 0; j < o.path.length && prefix; j++) prefix = valuesEqual(o.path[j] as Value, path[j] as Value);
    if (!prefix) continue;
    let v: Value | undefined = o.value;
    for (let j = o.path.length; j < path.length && v !== undefined; j++) v = lookup(v, path[j] as Value);
    return v;
  }
  return NO_OVERRIDE;
}

function applyDeeperOverrides(ev: Evaluation, node: DataNode, v: Value): Value {
  const path = node.path;
  for (const o of ev.dataOverrides) {
    if (o.path.length <= path.length) continue;
    let prefix = true;
    for (let j = 0; j < path.length && prefix; j++) prefix = valuesEqual(o.path[j] as Value, path[j] as Value);
    if (prefix) v = patchValue(v, o.path.slice(path.length), o.value);
  }
  return v;
}

function computeNode(ev: Evaluation, node: DataNode): Value | undefined {
  if (node.complete.length > 0 || node.defaultRule !== undefined) return evalComplete(ev, node);
  if (node.multi.length > 0) return evalMulti(ev, node);
  if (node.isFunctionOnly) return undefined;
  const b = new ObjectBuilder();
  const base = ev.baseValue(node);
  if (base instanceof RObject) for (const [k, v] of base.entries()) b.merge([k], v);
  for (const child of node.children.values()) {
    const v = evalNode(ev, child);
    if (v !== undefined) b.merge([child.path[child.path.length - 1] as Value], v);
  }
  for (const rule of node.objectRules) evalObjectRule(ev, rule, b);
  if (b.isEmpty() && base !== undefined && !(base instanceof RObject)) return base;
  return b.build();
}

const COMPLETE_CONFLICT = "complete rules must not produce multiple outputs";
const FUNCTION_CONFLICT = "functions must not produce multiple outputs for same inputs";

function evalComplete(ev: Evaluation, node: DataNode): Value | undefined {
  let result: Value | undefined;
  for (const rule of node.complete) {
    const v = evalClauses(ev, rule, undefined, COMPLETE_CONFLICT);
    if (v === undefined) continue;
    if (result === undefined) result = v;
    else if (!valuesEqual(result, v)) throw new RegoError("eval_conflict_error", COMPLETE_CONFLICT, rule.loc);
  }
  if (result === undefined && node.defaultRule !== undefined) result = defaultValue(ev, node.defaultRule);
  return result;
}

function defaultValue(ev: Evaluation, rule: IRule): Value | undefined {
  const clause = rule.clauses[0];
  if (clause === undefined) return undefined;
  return ev.evalSingle(clause.value, new Array(rule.nslots));
}

/**
 * Evaluates a rule's clauses in order (the first whose body succeeds gives the value); for functions the
 * arguments are matched first. Different values from one clause are a conflict.
 */
function evalClauses(ev: Evaluation, rule: IRule, args: Value[] | undefined, conflict: string): Value | undefined {
  // Closures are written inline (not bound to names): tsx keeps function names with a helper call per
  // named closure, which would dominate the cost of a decision.
  for (const clause of rule.clauses) {
    const f: Frame = new Array(rule.nslots);
    const state: { result: Value | undefined } = { result: undefined };
    const constant = clause.value.t === T.Const;
    if (args === undefined) {
      ev.evalBody(clause.body, 0, f, () => collectValue(ev, rule, clause.value, f, state, constant, conflict));
    } else if (bindPlainArgs(rule.args, args, f)) {
      ev.evalBody(clause.body, 0, f, () => collectValue(ev, rule, clause.value, f, state, constant, conflict));
    } else if (!rule.args.every((a) => a.t === T.Var)) {
      matchArgs(ev, rule.args, args, 0, f, () =>
        ev.evalBody(clause.body, 0, f, () => collectValue(ev, rule, clause.value, f, state, constant, conflict)),
      );
    }
    if (state.result !== undefined) return state.result;
  }
  return undefined;
}

/** Records a clause's value for one solution; different values are a conflict. */
function collectValue(
  ev: Evaluation,
  rule: IRule,
  value: ITerm,
  f: Frame,
  state: { result: Value | undefined },
  constant: boolean,
  conflict: string,
): boolean {
  if (value.single) {
    const v = ev.evalSingle(value, f);
    if (v === undefined) return false;
    return record(state, v, rule, conflict) || constant;
  }
  return ev.evalTerm(value, f, (v) => record(state, v, rule, conflict) || constant);
}

function record(state: { result: Value | undefined }, v: Value, rule: IRule, conflict: string): boolean {
  if (state.result === undefined) state.result = v;
  else if (!valuesEqual(state.result, v)) throw new RegoError("eval_conflict_error", conflict, rule.loc);
  return false;
}

/**
 * Binds arguments that are all plain variables straight into the frame; false when an argument is a pattern
 * (then `matchArgs` does it) or a repeated variable gets two different values.
 */
function bindPlainArgs(ps: readonly ITerm[], vs: Value[], f: Frame): boolean {
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i] as ITerm;
    if (p.t !== T.Var) {
      for (let j = 0; j < i; j++) f[(ps[j] as { slot: number }).slot] = undefined;
      return false;
    }
    const v = vs[i] as Value;
    const cur = f[p.slot];
    if (cur !== undefined && !valuesEqual(cur, v)) return false;
    f[p.slot] = v;
  }
  return true;
}

function matchArgs(ev: Evaluation, ps: readonly ITerm[], vs: Value[], i: number, f: Frame, k: () => boolean): boolean {
  if (i === ps.length) return k();
  return ev.match(ps[i] as ITerm, vs[i] as Value, f, () => matchArgs(ev, ps, vs, i + 1, f, k));
}

function evalMulti(ev: Evaluation, node: DataNode): Value {
  const out = new RSet();
  for (const rule of node.multi) {
    const clause = rule.clauses[0];
    const key = rule.key;
    if (clause === undefined || key === undefined) continue;
    const f: Frame = new Array(rule.nslots);
    const constant = key.t === T.Const;
    ev.evalBody(clause.body, 0, f, () =>
      ev.evalTerm(key, f, (v) => {
        out.add(v);
        return constant;
      }),
    );
  }
  return out;
}

function evalObjectRule(ev: Evaluation, rule: IRule, b: ObjectBuilder): void {
  const clause = rule.clauses[0];
  if (clause === undefined) return;
  const f: Frame = new Array(rule.nslots);
  ev.evalBody(clause.body, 0, f, () => {
    const keys: Value[] = [];
    for (const s of rule.suffix) {
      const k = ev.evalSingle(s, f);
      if (k === undefined) return false;
      keys.push(k);
    }
    if (rule.leaf === "multi") {
      const key = rule.key;
      if (key === undefined) return false;
      return ev.evalTerm(key, f, (v) => {
        b.addToSet(keys, v, rule.loc);
        return false;
      });
    }
    return ev.evalTerm(clause.value, f, (v) => {
      b.insert(keys, v, rule.loc);
      return false;
    });
  });
}

/** Calls a user function with argument values; undefined when no definition applies. */
export function callFunction(ev: Evaluation, node: DataNode, args: Value[], loc: Location): Value | undefined {
  let result: Value | undefined;
  let resultLoc = loc;
  for (const rule of node.functions) {
    if (rule.args.length !== args.length) continue;
    const v = evalClauses(ev, rule, args, FUNCTION_CONFLICT);
    if (v === undefined) continue;
    if (result === undefined) {
      result = v;
      resultLoc = rule.loc;
    } else if (!valuesEqual(result, v)) throw new RegoError("eval_conflict_error", FUNCTION_CONFLICT, resultLoc);
  }
  if (result === undefined && node.defaultFunction !== undefined) result = defaultValue(ev, node.defaultFunction);
  return result;
}

// ---- object building ----

type BNode = { value: Value } | { children: Map<unknown, [Value, BNode]> } | { set: RSet };

/** Builds nested objects from rule outputs, detecting key conflicts. */
class ObjectBuilder {
  private readonly root = new Map<unknown, [Value, BNode]>();

  isEmpty(): boolean {
    return this.root.size === 0;
  }

  /** Sets `path` to `v`, merging objects and letting later values win (children over base data). */
  merge(path: readonly Value[], v: Value): void {
    const [head, ...rest] = path as [Value, ...Value[]];
    const entry = this.root.get(hashKey(head));
    if (entry !== undefined && rest.length === 0 && v instanceof RObject) {
      const existing = entry[1];
      if ("value" in existing && existing.value instanceof RObject) {
        const merged = new RObject();
        for (const [k, x] of existing.value.entries()) merged.set(k, x);
        for (const [k, x] of v.entries()) merged.set(k, x);
        entry[1] = { value: merged };
        return;
      }
      if ("children" in existing) {
        for (const [k, x] of v.entries()) existing.children.set(hashKey(k), [k, { value: x }]);
        return;
      }
    }
    this.root.set(hashKey(head), [head, { value: v }]);
  }

  /** Inserts a rule output at `path`; a different existing value is a conflict. */
  insert(path: readonly Value[], v: Value, loc: Location): void {
    const parent = this.descend(path, loc);
    const last = path[path.length - 1] as Value;
    const k = hashKey(last);
    const existing = parent.get(k);
    if (existing !== undefined) {
      const cur = toValue(existing[1]);
      if (valuesEqual(cur, v)) return;
      throw new RegoError("eval_conflict_error", "object keys must be unique", loc);
    }
    parent.set(k, [last, { value: v }]);
  }

  /** Adds `v` to the set at `path`. */
  addToSet(path: readonly Value[], v: Value, loc: Location): void {
    const parent = this.descend(path, loc);
    const last = path[path.length - 1] as Value;
    const k = hashKey(last);
    const existing = parent.get(k);
    if (existing === undefined) {
      const set = new RSet();
      set.add(v);
      parent.set(k, [last, { set }]);
      return;
    }
    const node = existing[1];
    if ("set" in node) {
      node.set.add(v);
      return;
    }
    if ("value" in node && node.value instanceof RSet) {
      const set = RSet.from(node.value.values());
      set.add(v);
      existing[1] = { set };
      return;
    }
    throw new RegoError("eval_conflict_error", "object keys must be unique", loc);
  }

  /** The children map that holds the last step of `path`, creating objects along the way. */
  private descend(path: readonly Value[], loc: Location): Map<unknown, [Value, BNode]> {
    let m = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as Value;
      const k = hashKey(key);
      const entry = m.get(k);
      if (entry === undefined) {
        const children = new Map<unknown, [Value, BNode]>();
        m.set(k, [key, { children }]);
        m = children;
        continue;
      }
      const node = entry[1];
      if ("children" in node) {
        m = node.children;
        continue;
      }
      if ("value" in node && node.value instanceof RObject) {
        const children = new Map<unknown, [Value, BNode]>();
        for (const [ck, cv] of node.value.entries()) children.set(hashKey(ck), [ck, { value: cv }]);
        entry[1] = { children };
        m = children;
        continue;
      }
      throw new RegoError("eval_conflict_error", "object keys must be unique", loc);
    }
    return m;
  }

  build(): RObject {
    return buildMap(this.root);
  }
}

function toValue(n: BNode): Value {
  if ("value" in n) return n.value;
  if ("set" in n) return n.set;
  return buildMap(n.children);
}

function buildMap(m: Map<unknown, [Value, BNode]>): RObject {
  const o = new RObject();
  for (const [key, node] of m.values()) o.set(key, toValue(node));
  return o;
}
