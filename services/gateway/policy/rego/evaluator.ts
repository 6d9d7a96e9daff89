/**
 * The top-down evaluator. Bodies run in continuation-passing style: each expression calls its continuation
 * once per solution, binding frame slots before and clearing them after, so backtracking is just returning.
 * A continuation returns true to stop the whole enumeration early (negation, early exit of constant rules).
 * Terms flagged `single` at compile time take a direct, allocation-light path.
 */
import type { BuiltinContext, BuiltinDef } from "./builtins/types.js";
import type { CompiledPolicy, CompiledQuery } from "./compile.js";
import type { DataNode } from "./data-tree.js";
import { callFunction, evalNode, NO_OVERRIDE, overrideAt } from "./documents.js";
import { RegoError } from "./errors.js";
import { E, FAST_BIND, FAST_TEST, T, type FnTarget, type ICall, type IExpr, type ITerm, type IWith } from "./ir.js";
import { formatValue } from "./value-json.js";
import { collectionEntries, lookup, RObject, RSet, valuesEqual, type Value } from "./value.js";

/** A frame of local variable slots; undefined means unbound. */
export type Frame = (Value | undefined)[];

/** A continuation; returning true stops the enumeration. */
export type K = () => boolean;

/** A value continuation. */
export type KV = (v: Value) => boolean;

function stop(): boolean {
  return true;
}

const STOP: K = stop;

/** A `with data...` replacement in force. */
export interface DataOverride {
  readonly path: readonly Value[];
  readonly value: Value;
}

/** A function replacement in force (`with f as g` / `with f as value`). */
export type FnOverride = { readonly kind: "fn"; readonly target: FnTarget } | { readonly kind: "value"; readonly value: Value };

/** Options of one evaluation. */
export interface EvaluationOptions {
  /** The input document (undefined when there is none). */
  readonly input: Value | undefined;
  /** Base data. */
  readonly data: Value;
  /** Raise builtin errors instead of treating them as undefined. */
  readonly strict: boolean;
  /** Fixed time for `time.now_ns`, nanoseconds. */
  readonly nowNs: bigint;
}

/** Mutable state of one evaluation (one query or one decision). */
export class Evaluation {
  input: Value | undefined;
  data: Value;
  dataOverrides: readonly DataOverride[] = [];
  fnOverrides: ReadonlyMap<object, FnOverride> | undefined;
  /** Cached node values (see `documents.ts` for the sentinels). */
  cache = new Map<DataNode, unknown>();
  /** Cached base-data lookups per node (created on first use). */
  baseCache: Map<DataNode, Value | undefined> | undefined;
  readonly strict: boolean;
  readonly bctx: BuiltinContext;

  constructor(
    readonly policy: CompiledPolicy,
    options: EvaluationOptions,
  ) {
    this.input = options.input;
    this.data = options.data;
    this.strict = options.strict;
    this.bctx = { nowNs: options.nowNs, strict: options.strict };
  }

  /** Runs a compiled query; `each` sees the frame once per solution and may return true to stop. */
  runQuery(q: CompiledQuery, each: (f: Frame) => boolean): void {
    const f: Frame = new Array(q.nslots);
    this.evalBody(q.body, 0, f, () => each(f));
  }

  // ---- bodies and expressions ----

  /**
   * Evaluates `body` from expression `i`. Expressions marked `fast` at compile time (single-valued tests
   * and assignments of a single value to a fresh variable) run in a loop without continuations; the first
   * other expression continues in continuation-passing style.
   */
  evalBody(body: readonly IExpr[], i: number, f: Frame, k: K): boolean {
    let bound: number[] | undefined;
    let ok = true;
    for (; i < body.length; i++) {
      const e = body[i] as IExpr;
      const fast = e.fast;
      if (fast === FAST_TEST) {
        if (!this.test(e, f)) {
          ok = false;
          break;
        }
      } else if (fast === FAST_BIND) {
        const slot = e.bindSlot as number;
        const v = this.evalSingle(e.bindValue as ITerm, f);
        if (v === undefined) {
          ok = false;
          break;
        }
        const cur = f[slot];
        if (cur === undefined) {
          f[slot] = v;
          (bound ??= []).push(slot);
        } else if (!valuesEqual(cur, v)) {
          ok = false;
          break;
        }
      } else {
        break;
      }
    }
    let r = false;
    if (ok) {
      if (i === body.length) r = k();
      else {
        const e = body[i] as IExpr;
        const next: K = i + 1 === body.length ? k : () => this.evalBody(body, i + 1, f, k);
        r = e.withs.length > 0 ? this.evalWith(e, f, next) : this.evalExpr(e, f, next);
      }
    }
    if (bound !== undefined) for (const slot of bound) f[slot] = undefined;
    return r;
  }

  /** Evaluates a fast test expression. */
  private test(e: IExpr, f: Frame): boolean {
    let ok: boolean;
    switch (e.e) {
      case E.Term: {
        const v = this.evalSingle(e.term, f);
        ok = v !== undefined && v !== false;
        break;
      }
      case E.Call: {
        const v = this.evalSingle(e.call, f);
        ok = v !== undefined && v !== false;
        break;
      }
      case E.Unify: {
        const a = this.evalSingle(e.lhs, f);
        const b = a === undefined ? undefined : this.evalSingle(e.rhs, f);
        ok = b !== undefined && valuesEqual(a as Value, b);
        break;
      }
      default:
        ok = true;
    }
    return e.negated ? !ok : ok;
  }

  private evalExpr(e: IExpr, f: Frame, k: K): boolean {
    if (e.negated) return this.evalPositive(e, f, STOP) ? false : k();
    return this.evalPositive(e, f, k);
  }

  private evalPositive(e: IExpr, f: Frame, k: K): boolean {
    switch (e.e) {
      case E.Term: {
        const t = e.term;
        if (t.single) {
          const v = this.evalSingle(t, f);
          return v === undefined || v === false ? false : k();
        }
        return this.evalTerm(t, f, (v) => v !== false && k());
      }
      case E.Call:
        return this.evalCallExpr(e.call, f, k);
      case E.Unify:
        return this.unify(e.lhs, e.rhs, f, k);
      case E.Noop:
        return k();
      case E.SomeIn: {
        const { key, value } = e;
        return this.evalTerm(e.domain, f, (d) =>
          enumerate(d, (kv, vv) =>
            key === undefined ? this.match(value, vv, f, k) : this.match(key, kv, f, () => this.match(value, vv, f, k)),
          ),
        );
      }
      case E.Every: {
        const { key, value, body } = e;
        return this.evalTerm(e.domain, f, (d) => {
          const entries = collectionEntries(d);
          if (entries !== undefined) {
            for (const [kv, vv] of entries) {
              const ok =
                key === undefined
                  ? this.match(value, vv, f, () => this.evalBody(body, 0, f, STOP))
                  : this.match(key, kv, f, () => this.match(value, vv, f, () => this.evalBody(body, 0, f, STOP)));
              if (!ok) return false;
            }
          }
          return k();
        });
      }
      case E.Logic: {
        if (e.op === "and") {
          for (const operand of e.operands) if (!this.evalBody(operand, 0, f, STOP)) return false;
          return k();
        }
        for (const operand of e.operands) if (this.evalBody(operand, 0, f, STOP)) return k();
        return false;
      }
    }
  }

  /** A call at statement level: true unless it returns false; an extra argument receives the result. */
  private evalCallExpr(c: ICall, f: Frame, k: K): boolean {
    const out = c.args.length > c.arity ? (c.args[c.arity] as ITerm) : undefined;
    return this.evalCall(c, f, (r) => (out === undefined ? r !== false && k() : this.match(out, r, f, k)));
  }

  // ---- with ----

  private evalWith(e: IExpr, f: Frame, k: K): boolean {
    const values: Value[] = [];
    for (const w of e.withs) {
      const v = this.evalSingle(w.value, f);
      if (v === undefined) {
        // A with value may be a function name used as a value replacement target; otherwise undefined fails.
        if (!(w.kind === "fn" && w.replacement !== undefined)) return false;
      }
      values.push(v as Value);
    }
    const saved = this.saveState();
    this.applyWiths(e.withs, values);
    const inner = this.saveState();
    try {
      return this.evalExpr(e, f, () => {
        this.restoreState(saved);
        try {
          return k();
        } finally {
          this.restoreState(inner);
        }
      });
    } finally {
      this.restoreState(saved);
    }
  }

  private saveState(): unknown[] {
    return [this.input, this.data, this.dataOverrides, this.fnOverrides, this.cache, this.baseCache];
  }

  private restoreState(s: unknown[]): void {
    [this.input, this.data, this.dataOverrides, this.fnOverrides, this.cache, this.baseCache] = s as [
      Value | undefined,
      Value,
      readonly DataOverride[],
      ReadonlyMap<object, FnOverride> | undefined,
      Map<DataNode, unknown>,
      Map<DataNode, Value | undefined> | undefined,
    ];
  }

  private applyWiths(withs: readonly IWith[], values: Value[]): void {
    withs.forEach((w, i) => {
      const v = values[i] as Value;
      if (w.kind === "input") {
        this.input = w.path.length === 0 ? v : patchValue(this.input, w.path, v);
      } else if (w.kind === "data") {
        this.data = patchValue(this.data, w.path, v) ?? this.data;
        this.dataOverrides = [...this.dataOverrides.filter((o) => !isPrefix(w.path, o.path)), { path: w.path, value: v }];
      } else {
        const key = w.target.kind === "builtin" ? w.target.def : w.target.node;
        const next = new Map(this.fnOverrides ?? []);
        next.set(key, w.replacement !== undefined ? { kind: "fn", target: w.replacement } : { kind: "value", value: v });
        this.fnOverrides = next;
      }
    });
    this.cache = new Map();
    this.baseCache = undefined;
  }

  // ---- terms ----

  /** Evaluates a term known to have at most one value; undefined when it has none. */
  evalSingle(t: ITerm, f: Frame): Value | undefined {
    switch (t.t) {
      case T.Const:
        return t.v;
      case T.Var:
        return f[t.slot];
      case T.Input:
        return this.input;
      case T.Data:
        return evalNode(this, t.node);
      case T.Ref: {
        let v: Value | undefined;
        let i = 0;
        let inBase = false;
        const path = t.path;
        const head = t.head;
        if (head.t === T.Data) {
          let node = head.node;
          for (; i < path.length; i++) {
            if (node.isRuleLeaf || node.objectRules.length > 0) break;
            if (this.dataOverrides.length > 0 && overrideAt(this, node) !== NO_OVERRIDE) break;
            const key = this.evalSingle(path[i] as ITerm, f);
            if (key === undefined) return undefined;
            const child = node.child(key);
            if (child === undefined) {
              v = lookupBase(this.baseValue(node) ?? null, key);
              if (v === undefined) return undefined;
              inBase = true;
              i++;
              break;
            }
            node = child;
          }
          if (v === undefined) v = evalNode(this, node);
        } else {
          v = this.evalSingle(head, f);
        }
        for (; i < path.length && v !== undefined; i++) {
          const key = this.evalSingle(path[i] as ITerm, f);
          if (key === undefined) return undefined;
          v = inBase ? lookupBase(v, key) : lookup(v, key);
        }
        return v;
      }
      case T.Array: {
        const out: Value[] = new Array(t.items.length);
        for (let i = 0; i < t.items.length; i++) {
          const v = this.evalSingle(t.items[i] as ITerm, f);
          if (v === undefined) return undefined;
          out[i] = v;
        }
        return out;
      }
      case T.Set: {
        const out = new RSet();
        for (const x of t.items) {
          const v = this.evalSingle(x, f);
          if (v === undefined) return undefined;
          out.add(v);
        }
        return out;
      }
      case T.Object: {
        const out = new RObject();
        for (let i = 0; i < t.keys.length; i++) {
          const kv = this.evalSingle(t.keys[i] as ITerm, f);
          const vv = this.evalSingle(t.values[i] as ITerm, f);
          if (kv === undefined || vv === undefined) return undefined;
          out.set(kv, vv);
        }
        return out;
      }
      case T.ArrayCompr: {
        const out: Value[] = [];
        this.evalBody(t.body, 0, f, () => this.evalTerm(t.head, f, (v) => (out.push(v), false)));
        return out;
      }
      case T.SetCompr: {
        const out = new RSet();
        this.evalBody(t.body, 0, f, () => this.evalTerm(t.head, f, (v) => (out.add(v), false)));
        return out;
      }
      case T.ObjectCompr: {
        const out = new RObject();
        this.evalBody(t.body, 0, f, () =>
          this.evalTerm(t.key, f, (kv) =>
            this.evalTerm(t.value, f, (vv) => {
              const prev = out.get(kv);
              if (prev !== undefined && !valuesEqual(prev, vv)) {
                throw new RegoError("eval_conflict_error", "object keys must be unique", t.loc);
              }
              out.set(kv, vv);
              return false;
            }),
          ),
        );
        return out;
      }
      case T.Call: {
        const n = t.arity;
        const args: Value[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const v = this.evalSingle(t.args[i] as ITerm, f);
          if (v === undefined) return undefined;
          args[i] = v;
        }
        return this.callOnce(t, t.fn, args);
      }
      case T.Template: {
        let s = "";
        for (const p of t.parts) {
          if (typeof p === "string") s += p;
          else if (p.t === T.ArrayCompr && p.fromTemplate === true) {
            const vs = this.evalSingle(p, f) as Value[];
            s += vs.length === 0 ? "<undefined>" : formatValue(vs[0] as Value, true);
          } else {
            const v = this.evalSingle(p, f);
            s += v === undefined ? "<undefined>" : formatValue(v, true);
          }
        }
        return s;
      }
    }
  }

  /** Enumerates the values of a term, binding variables in ref brackets as it goes. */
  evalTerm(t: ITerm, f: Frame, k: KV): boolean {
    if (t.single) {
      const v = this.evalSingle(t, f);
      return v === undefined ? false : k(v);
    }
    switch (t.t) {
      case T.Var: {
        const v = f[t.slot];
        return v === undefined ? false : k(v);
      }
      case T.Ref:
        return this.evalRef(t.head, t.path, f, k);
      case T.Array:
        return this.evalItems(t.items, f, (items) => k(items));
      case T.Set:
        return this.evalItems(t.items, f, (items) => k(RSet.from(items)));
      case T.Object:
        return this.evalItems([...t.keys, ...t.values], f, (items) => {
          const n = t.keys.length;
          const o = new RObject();
          for (let i = 0; i < n; i++) o.set(items[i] as Value, items[n + i] as Value);
          return k(o);
        });
      case T.Call:
        return this.evalCall(t, f, k);
      default: {
        const v = this.evalSingle(t, f);
        return v === undefined ? false : k(v);
      }
    }
  }

  /**
   * Evaluates several terms (call arguments, collection items), enumerating combinations. Terms that bind
   * variables (refs with unbound brackets) go first so that terms using those variables see them bound.
   */
  /**
   * Calls a replacement function. Inside it every function means its original again (a mock of `count` may
   * call `count`, and one mock never calls another), so replacements are lifted for the call.
   */
  private callReplacement(target: FnTarget, args: Value[], c: ICall): Value | undefined {
    const saved = this.saveState();
    // Inside a replacement no replacement applies: it calls the originals (and mocks never chain).
    this.fnOverrides = undefined;
    this.cache = new Map();
    try {
      if (target.kind === "builtin" && target.def.relation !== undefined) {
        return this.callBuiltin(target.def, args, c)?.[0];
      }
      return this.callOnce(c, target, args);
    } finally {
      this.restoreState(saved);
    }
  }

  private evalItems(items: readonly ITerm[], f: Frame, k: (vs: Value[]) => boolean): boolean {
    let order: number[] | undefined;
    for (const x of items) {
      if (!x.evaluable) {
        order = items.map((_, i) => i).sort((a, b) => Number(!(items[a] as ITerm).evaluable) - Number(!(items[b] as ITerm).evaluable));
        break;
      }
    }
    return this.evalItemsFrom(items, order, new Array(items.length), 0, f, k);
  }

  private evalItemsFrom(
    items: readonly ITerm[],
    order: number[] | undefined,
    acc: Value[],
    j: number,
    f: Frame,
    k: (vs: Value[]) => boolean,
  ): boolean {
    if (j === items.length) return k(acc.slice());
    const idx = order === undefined ? j : (order[j] as number);
    const t = items[idx] as ITerm;
    if (t.evaluable) {
      return this.evalTerm(t, f, (v) => {
        acc[idx] = v;
        return this.evalItemsFrom(items, order, acc, j + 1, f, k);
      });
    }
    return this.evalDynamic(t, f, (v) => {
      acc[idx] = v;
      return this.evalItemsFrom(items, order, acc, j + 1, f, k);
    });
  }

  // ---- refs ----

  private evalRef(head: ITerm, path: readonly ITerm[], f: Frame, k: KV): boolean {
    if (head.t === T.Data) return this.evalDataRef(head.node, path, 0, f, k);
    return this.evalTerm(head, f, (v) => this.walk(v, path, 0, f, k));
  }

  /** Walks a value along ref steps from `i`; unbound steps enumerate. */
  walk(v: Value, path: readonly ITerm[], i: number, f: Frame, k: KV, base = false): boolean {
    for (; i < path.length; i++) {
      const p = path[i] as ITerm;
      if (p.single) {
        const key = this.evalSingle(p, f);
        if (key === undefined) return false;
        const next = base ? lookupBase(v, key) : lookup(v, key);
        if (next === undefined) return false;
        v = next;
        continue;
      }
      if (p.t === T.Var && f[p.slot] !== undefined) {
        const next = lookup(v, f[p.slot] as Value);
        if (next === undefined) return false;
        v = next;
        continue;
      }
      const j = i;
      if (p.evaluable && p.t !== T.Var) {
        return this.evalTerm(p, f, (key) => {
          const next = lookup(v, key);
          return next === undefined ? false : this.walk(next, path, j + 1, f, k);
        });
      }
      return enumerate(v, (key, child) => this.match(p, key, f, () => this.walk(child, path, j + 1, f, k)));
    }
    return k(v);
  }

  /** Walks the data tree; leaves the tree (into a rule's value or base data) where needed. */
  private evalDataRef(node: DataNode, path: readonly ITerm[], i: number, f: Frame, k: KV): boolean {
    if (this.dataOverrides.length > 0) {
      const o = overrideAt(this, node);
      if (o !== NO_OVERRIDE) return o === undefined ? false : this.walk(o, path, i, f, k);
    }
    if (i < path.length && !node.isRuleLeaf && node.objectRules.length === 0) {
      const p = path[i] as ITerm;
      let key: Value | undefined;
      if (p.single) key = this.evalSingle(p, f);
      else if (p.t === T.Var) key = f[p.slot];
      if (key !== undefined) {
        const child = node.child(key);
        if (child !== undefined) return this.evalDataRef(child, path, i + 1, f, k);
        const base = this.baseValue(node);
        const next = base === undefined ? undefined : lookupBase(base, key);
        return next === undefined ? false : this.walk(next, path, i + 1, f, k, true);
      }
    }
    const v = evalNode(this, node);
    return v === undefined ? false : this.walk(v, path, i, f, k);
  }

  /** Base data at a node's path (cached per evaluation state). */
  baseValue(node: DataNode): Value | undefined {
    if (node.path.length === 0) return this.data;
    this.baseCache ??= new Map();
    if (this.baseCache.has(node)) return this.baseCache.get(node);
    let v: Value | undefined = this.data;
    for (const p of node.path) {
      if (v === undefined) break;
      v = lookup(v, p);
    }
    this.baseCache.set(node, v);
    return v;
  }

  // ---- unification ----

  /** Unifies two terms. */
  unify(a: ITerm, b: ITerm, f: Frame, k: K): boolean {
    if (b.single) {
      const v = this.evalSingle(b, f);
      return v === undefined ? false : this.match(a, v, f, k);
    }
    if (a.single) {
      const v = this.evalSingle(a, f);
      return v === undefined ? false : this.match(b, v, f, k);
    }
    if (b.evaluable) return this.evalTerm(b, f, (v) => this.match(a, v, f, k));
    if (a.evaluable) return this.evalTerm(a, f, (v) => this.match(b, v, f, k));
    if (a.t === T.Array && b.t === T.Array) {
      if (a.items.length !== b.items.length) return false;
      return this.unifyPairs(a.items.map((x, i) => [x, b.items[i] as ITerm] as const), f, k);
    }
    if (a.t === T.Object && b.t === T.Object) {
      if (a.keys.length !== b.keys.length) return false;
      const pairs: (readonly [ITerm, ITerm])[] = [];
      for (let i = 0; i < a.keys.length; i++) {
        const ka = this.evalSingle(a.keys[i] as ITerm, f);
        if (ka === undefined) return false;
        const j = b.keys.findIndex((kb) => {
          const v = this.evalSingle(kb, f);
          return v !== undefined && valuesEqual(v, ka);
        });
        if (j < 0) return false;
        pairs.push([a.values[i] as ITerm, b.values[j] as ITerm]);
      }
      return this.unifyPairs(pairs, f, k);
    }
    // Dynamic fallback: one side may have become evaluable through earlier bindings.
    if (this.isBound(b, f)) return this.evalDynamic(b, f, (v) => this.match(a, v, f, k));
    if (this.isBound(a, f)) return this.evalDynamic(a, f, (v) => this.match(b, v, f, k));
    throw new RegoError("rego_unsafe_var_error", "cannot unify two unbound terms", a.loc);
  }

  /** Unifies pairs, taking first whichever pair can make progress. */
  private unifyPairs(pairs: readonly (readonly [ITerm, ITerm])[], f: Frame, k: K): boolean {
    if (pairs.length === 0) return k();
    let idx = pairs.findIndex(([x, y]) => this.isBound(x, f) || this.isBound(y, f));
    if (idx < 0) idx = 0;
    const [x, y] = pairs[idx] as readonly [ITerm, ITerm];
    const rest = pairs.filter((_, i) => i !== idx);
    if (this.isBound(y, f)) return this.evalDynamic(y, f, (v) => this.match(x, v, f, () => this.unifyPairs(rest, f, k)));
    if (this.isBound(x, f)) return this.evalDynamic(x, f, (v) => this.match(y, v, f, () => this.unifyPairs(rest, f, k)));
    return this.unify(x, y, f, () => this.unifyPairs(rest, f, k));
  }

  /** Whether a term's variables outside ref brackets are all bound right now. */
  private isBound(t: ITerm, f: Frame): boolean {
    switch (t.t) {
      case T.Var:
        return f[t.slot] !== undefined;
      case T.Ref:
        return this.isBound(t.head, f);
      case T.Array:
      case T.Set:
        return t.items.every((x) => this.isBound(x, f));
      case T.Object:
        return t.keys.every((x) => this.isBound(x, f)) && t.values.every((x) => this.isBound(x, f));
      case T.Call:
        return t.args.every((x) => this.isBound(x, f));
      default:
        return true;
    }
  }

  /** Evaluates a term whose boundness was established at run time. */
  private evalDynamic(t: ITerm, f: Frame, k: KV): boolean {
    switch (t.t) {
      case T.Var: {
        const v = f[t.slot];
        return v === undefined ? false : k(v);
      }
      case T.Array:
        return this.evalItems(t.items, f, (xs) => k(xs));
      default:
        return this.evalTerm(t, f, k);
    }
  }

  /** Matches a pattern term against a value, binding unbound variables. */
  match(p: ITerm, v: Value, f: Frame, k: K): boolean {
    switch (p.t) {
      case T.Var: {
        const cur = f[p.slot];
        if (cur !== undefined) return valuesEqual(cur, v) ? k() : false;
        f[p.slot] = v;
        try {
          return k();
        } finally {
          f[p.slot] = undefined;
        }
      }
      case T.Const:
        return valuesEqual(p.v, v) ? k() : false;
      case T.Array:
        if (p.single) break;
        if (!Array.isArray(v) || v.length !== p.items.length) return false;
        return this.matchItems(p.items, v, 0, f, k);
      case T.Object: {
        if (p.single) break;
        if (!(v instanceof RObject) || v.size !== p.keys.length) return false;
        const vals: Value[] = [];
        for (let i = 0; i < p.keys.length; i++) {
          const key = this.evalSingle(p.keys[i] as ITerm, f);
          if (key === undefined) return false;
          const x = v.get(key);
          if (x === undefined) return false;
          vals.push(x);
        }
        return this.matchItems(p.values, vals, 0, f, k);
      }
      default:
        break;
    }
    if (p.single) {
      const pv = this.evalSingle(p, f);
      return pv !== undefined && valuesEqual(pv, v) ? k() : false;
    }
    return this.evalTerm(p, f, (pv) => valuesEqual(pv, v) && k());
  }

  private matchItems(ps: readonly ITerm[], vs: readonly Value[], i: number, f: Frame, k: K): boolean {
    if (i === ps.length) return k();
    return this.match(ps[i] as ITerm, vs[i] as Value, f, () => this.matchItems(ps, vs, i + 1, f, k));
  }

  // ---- calls ----

  /** Evaluates a call's input arguments (enumerating if needed) and calls the function. */
  evalCall(c: ICall, f: Frame, k: KV): boolean {
    const n = c.arity;
    let allSingle = true;
    for (let i = 0; i < n; i++) if (!(c.args[i] as ITerm).single) allSingle = false;
    if (allSingle) {
      const args: Value[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = this.evalSingle(c.args[i] as ITerm, f);
        if (v === undefined) return false;
        args[i] = v;
      }
      return this.invoke(c, args, k);
    }
    return this.evalItems(c.args.slice(0, n), f, (args) => this.invoke(c, args, k));
  }

  private invoke(c: ICall, args: Value[], k: KV): boolean {
    const target = c.fn;
    if (target.kind === "builtin" && target.def.relation !== undefined && this.fnOverrides?.get(target.def) === undefined) {
      const results = this.callBuiltin(target.def, args, c);
      if (results === undefined) return false;
      for (const r of results) if (k(r)) return true;
      return false;
    }
    const r = this.callOnce(c, target, args);
    return r === undefined ? false : k(r);
  }

  /** Calls a single-valued function (honouring `with` replacements); undefined when it has no result. */
  callOnce(c: ICall, target: FnTarget, args: Value[]): Value | undefined {
    if (this.fnOverrides !== undefined) {
      const key = target.kind === "builtin" ? target.def : target.node;
      const o = this.fnOverrides.get(key);
      if (o !== undefined) return o.kind === "value" ? o.value : this.callReplacement(o.target, args, c);
    }
    if (target.kind === "user") return callFunction(this, target.node, args, c.loc);
    const def = target.def;
    if (def.relation !== undefined) return this.callBuiltin(def, args, c)?.[0];
    try {
      return (def.fn as NonNullable<typeof def.fn>)(args, this.bctx);
    } catch (err) {
      return this.builtinFailed(def.name, err, c);
    }
  }

  private callBuiltin(def: BuiltinDef, args: Value[], c: ICall): Value[] | undefined {
    try {
      return (def.relation as NonNullable<typeof def.relation>)(args, this.bctx);
    } catch (err) {
      return this.builtinFailed(def.name, err, c);
    }
  }

  /** A builtin error: undefined by default, an OPA error under strict builtin errors. */
  private builtinFailed(name: string, err: unknown, c: ICall): undefined {
    if (err instanceof RegoError) throw err;
    if (!this.strict) return undefined;
    const kind = (err as { kind?: string }).kind;
    const message = err instanceof Error ? err.message : String(err);
    throw new RegoError(kind === "type" ? "eval_type_error" : "eval_builtin_error", `${name}: ${message}`, c.loc);
  }
}

/**
 * Lookup in base data: like OPA's storage, a number step also finds the object key spelled as that number
 * (`data[2]` reads key "2").
 */
function lookupBase(v: Value, key: Value): Value | undefined {
  const r = lookup(v, key);
  if (r === undefined && (typeof key === "number" || typeof key === "bigint") && v instanceof RObject) return v.get(formatValue(key));
  return r;
}

/** Calls `cb(key, value)` for each element of a collection; true stops. */
export function enumerate(v: Value, cb: (key: Value, val: Value) => boolean): boolean {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (cb(i, v[i] as Value)) return true;
    return false;
  }
  if (v instanceof RObject) {
    for (const [key, val] of v.entries()) if (cb(key, val)) return true;
    return false;
  }
  if (v instanceof RSet) {
    for (const x of v.values()) if (cb(x, x)) return true;
  }
  return false;
}

function isPrefix(prefix: readonly Value[], path: readonly Value[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (!valuesEqual(prefix[i] as Value, path[i] as Value)) return false;
  return true;
}

/** Returns `doc` with the value at `path` replaced (objects created along the way). */
export function patchValue(doc: Value | undefined, path: readonly Value[], v: Value): Value {
  if (path.length === 0) return v;
  const [head, ...rest] = path as [Value, ...Value[]];
  const o = new RObject();
  if (doc instanceof RObject) for (const [k2, v2] of doc.entries()) o.set(k2, v2);
  o.set(head, patchValue(doc instanceof RObject ? doc.get(head) : undefined, rest, v));
  return o;
}
