/**
 * A policy engine for tests that wraps the real embedded engine and can be switched, per test, to fail the way
 * a policy engine fails in production (unavailable, timeout) or to override decisions for one operator.
 */
import { errors } from "#core/errors/pecr-error.js";
import { createEmbeddedEngine } from "../../services/gateway/policy/embedded-engine.js";
import type { PolicyDecisionResult, PolicyEngine, PolicyInput } from "../../services/gateway/policy/policy-engine.js";

/** How the engine behaves now. */
export type PolicyMode =
  | { readonly kind: "normal" }
  | { readonly kind: "unavailable" }
  | { readonly kind: "timeout" }
  | { readonly kind: "override"; readonly decide: (input: PolicyInput) => PolicyDecisionResult | undefined };

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
        default:
          return inner.decide(input, options);
      }
    },
    ready: () => inner.ready(),
    close: () => inner.close(),
  };
}
