/**
 * Runs a policy's `test_*` rules (as `opa test` does): every complete rule whose name starts with `test_`
 * passes when it evaluates to true, fails when it is undefined, false, or raises an error.
 */
import type { CompiledPolicy } from "./compile.js";
import type { DataNode } from "./data-tree.js";
import { evaluateQuery, prepareQuery } from "./engine.js";
import { RObject, type Value } from "./value.js";

/** Outcome of one test rule. */
export interface PolicyTestResult {
  /** Full name, e.g. `data.pecr.authz_test.test_default_deny`. */
  readonly name: string;
  readonly passed: boolean;
  /** Why it failed. */
  readonly detail?: string;
  /** Wall time of the test, milliseconds. */
  readonly ms: number;
}

/** Finds the `test_*` rules of a compiled policy, in path order. */
export function findTests(policy: CompiledPolicy): string[] {
  const out: string[] = [];
  const visit = (node: DataNode): void => {
    const last = node.path[node.path.length - 1];
    if (typeof last === "string" && last.startsWith("test_") && node.complete.length > 0) out.push(node.toString());
    const children = [...node.children.values()].sort((a, b) => (a.toString() < b.toString() ? -1 : 1));
    for (const c of children) visit(c);
  };
  visit(policy.root);
  return out;
}

/** Runs every test rule of `policy` against `data`. */
export function runPolicyTests(policy: CompiledPolicy, data: Value = new RObject()): PolicyTestResult[] {
  return findTests(policy).map((name) => {
    const started = performance.now();
    try {
      const q = prepareQuery(policy, `result = ${name}`);
      const results = evaluateQuery(policy, q, { data });
      const v = results[0]?.get("result");
      const passed = v === true;
      const ms = performance.now() - started;
      return passed ? { name, passed, ms } : { name, passed, ms, detail: v === undefined ? "undefined" : "not true" };
    } catch (err) {
      return { name, passed: false, ms: performance.now() - started, detail: (err as Error).message };
    }
  });
}
