/**
 * A policy engine for tests that wraps the real embedded engine and can be switched, per test, to fail the way
 * a policy engine fails in production (unavailable, timeout), to override decisions for one operator, or to hold
 * decisions (until a condition holds, or until the gateway call's deadline aborts them) to make operator calls
 * overlap or a source slower than a budget. A held decision is still the real engine's, which fails closed
 * (ERR_SOURCE_TIMEOUT) once aborted.
 */
import { errors } from "#core/errors/pecr-error.js";
import { createEmbeddedEngine } from "../../services/gateway/policy/embedded-engine.js";
import type { PolicyDecisionResult, PolicyEngine, PolicyInput } from "../../services/gateway/policy/policy-engine.js";

/** Runs before a decision; the decision waits for the promise it returns. */
export type DecisionHook = (input: PolicyInput, signal: AbortSignal | undefined) => Promise<void> | void;

/** How the engine behaves now. */
export type PolicyMode =
  | { readonly kind: "normal" }
  | { readonly kind: "unavailable" }
  | { readonly kind: "timeout" }
  | { readonly kind: "override"; readonly decide: (input: PolicyInput) => PolicyDecisionResult | undefined }
  | { readonly kind: "hold"; readonly before: DecisionHook };

/** A switchable engine. */
export interface SwitchablePolicy extends PolicyEngine {
  /** Changes the behaviour for subsequent decisions. */
  set(mode: PolicyMode): void;
}

/** Wraps the embedded engine over the repository's bundle. */
export async function createSwitchablePolicy(): Promise<SwitchablePolicy> {
  const inner = await createEmbeddedEngine({ bundleDir: new URL("../../opa/bundle", import.meta.url).pathname });
  let mode: PolicyMode = { kind: "normal" };
  return {
    kind: inner.kind,
    bundleHash: inner.bundleHash,
    set: (next) => void (mode = next),
    async decide(input, options) {
      switch (mode.kind) {
        case "unavailable":
          throw errors.sourceUnavailable("policy engine unavailable");
        case "timeout":
          throw errors.sourceTimeout("policy engine timeout");
        case "override":
          return mode.decide(input) ?? inner.decide(input, options);
        case "hold":
          await mode.before(input, options?.signal);
          return inner.decide(input, options);
        default:
          return inner.decide(input, options);
      }
    },
    ready: () => inner.ready(),
    close: () => inner.close(),
  };
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
