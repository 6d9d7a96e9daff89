/**
 * The public face of the Rego evaluator: load modules (parse + compile, rejecting anything unsupported with
 * file:line:col), prepare queries, and evaluate them against input and data.
 */
import type { Body } from "./ast.js";
import { createBuiltinRegistry } from "./builtins/registry.js";
import type { BuiltinRegistry } from "./builtins/types.js";
import { compileModules, compileQuery, type CompiledPolicy, type CompiledQuery } from "./compile.js";
import type { DataNode } from "./data-tree.js";
import { evalNode } from "./documents.js";
import { Evaluation } from "./evaluator.js";
import { parseModule, parseQuery } from "./parser.js";
import { lookup, RObject, type Value } from "./value.js";

/** A Rego source file. */
export interface RegoSource {
  /** Name used in locations (e.g. `policy.rego`). */
  readonly path: string;
  /** Module text. */
  readonly text: string;
}

/** Options of one evaluation. */
export interface EvaluateOptions {
  /** The input document; omitted means no input. */
  readonly input?: Value;
  /** Base data; defaults to `{}`. */
  readonly data?: Value;
  /** Raise builtin errors (OPA's strict builtin errors). */
  readonly strict?: boolean;
  /** Time seen by `time.now_ns`, in nanoseconds; defaults to the current time. */
  readonly nowNs?: bigint;
}

/** One solution of a query: variable name → value. */
export type Bindings = ReadonlyMap<string, Value>;

/** Parses and compiles modules. Throws RegoError (RegoUnsupportedError for unsupported features). */
export function loadPolicy(sources: readonly RegoSource[], builtins: BuiltinRegistry = createBuiltinRegistry()): CompiledPolicy {
  const modules = sources.map((s) => parseModule(s.text, s.path));
  return compileModules(modules, builtins);
}

/** Compiles a query text (or parsed body) against a policy. */
export function prepareQuery(policy: CompiledPolicy, query: string | Body): CompiledQuery {
  return compileQuery(policy, typeof query === "string" ? parseQuery(query) : query);
}

/**
 * Evaluates the document at a ground `data` path (e.g. `["pecr", "authz", "decision"]`) without compiling a
 * query: the fast path for evaluating one rule many times. Undefined when the document is.
 */
export function evaluateDocument(policy: CompiledPolicy, path: readonly string[], options: EvaluateOptions = {}): Value | undefined {
  const ev = new Evaluation(policy, {
    input: options.input,
    data: options.data ?? new RObject(),
    strict: options.strict ?? false,
    nowNs: options.nowNs ?? BigInt(Date.now()) * 1_000_000n,
  });
  let node: DataNode = policy.root;
  for (let i = 0; i < path.length; i++) {
    const child = node.child(path[i] as string);
    if (child === undefined || node.isRuleLeaf || node.objectRules.length > 0) {
      let v = evalNode(ev, node);
      for (let j = i; j < path.length && v !== undefined; j++) v = lookup(v, path[j] as string);
      return v;
    }
    node = child;
  }
  return evalNode(ev, node);
}

/** Evaluates a prepared query; returns every solution's bindings. */
export function evaluateQuery(policy: CompiledPolicy, query: CompiledQuery, options: EvaluateOptions = {}): Bindings[] {
  const ev = new Evaluation(policy, {
    input: options.input,
    data: options.data ?? new RObject(),
    strict: options.strict ?? false,
    nowNs: options.nowNs ?? BigInt(Date.now()) * 1_000_000n,
  });
  const out: Bindings[] = [];
  ev.runQuery(query, (f) => {
    const b = new Map<string, Value>();
    for (const { name, slot } of query.vars) {
      const v = f[slot];
      if (v !== undefined) b.set(name, v);
    }
    out.push(b);
    return false;
  });
  return out;
}
