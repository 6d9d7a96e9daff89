/**
 * A policy engine for end-to-end tests that wraps the real embedded engine over the repository's bundle and
 * runs a test's hook before each decision. The hook can hold a decision (until a condition holds, or until the
 * gateway call's deadline aborts it) to make operator calls overlap or to make a source slower than a budget.
 * The decision itself is always the real engine's, which fails closed (ERR_SOURCE_TIMEOUT) once aborted.
 */
import { createEmbeddedEngine } from "../../services/gateway/policy/embedded-engine.js";
import type { PolicyEngine, PolicyInput } from "../../services/gateway/policy/policy-engine.js";

/** Runs before a decision; the decision waits for the promise it returns. */
export type DecisionHook = (input: PolicyInput, signal: AbortSignal | undefined) => Promise<void> | void;

/** The wrapped engine; set `hook` per test (and clear it in teardown). */
export interface HookedPolicy extends PolicyEngine {
  /** The hook now in force; undefined decides at once. */
  hook: DecisionHook | undefined;
}

/** Wraps the embedded engine. */
export async function createHookedPolicy(): Promise<HookedPolicy> {
  const inner = await createEmbeddedEngine({ bundleDir: new URL("../../opa/bundle", import.meta.url).pathname });
  const engine: HookedPolicy = {
    kind: inner.kind,
    bundleHash: inner.bundleHash,
    hook: undefined,
    async decide(input, options) {
      await engine.hook?.(input, options?.signal);
      return inner.decide(input, options);
    },
    ready: () => inner.ready(),
    close: () => inner.close(),
  };
  return engine;
}

/**
 * Whether `input` decides an operator call itself (named `opName`, if given): the decision that admits the call,
 * which carries the call's parameter hash. The read checks an operator makes on what it is about to return
 * (search filtering, the egress check) are `operator_call` decisions too, with an empty parameter hash.
 */
export function isCallDecision(input: PolicyInput, opName?: string): boolean {
  return input.action === "operator_call" && (input.params_hash ?? "") !== "" && (opName === undefined || input.op_name === opName);
}

/** Resolves when `signal` aborts (never without one): a hook holding a decision until the call's deadline. */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
