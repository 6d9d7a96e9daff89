/**
 * Small in-test PolicyEngines for the compatible server: a decision function plus a log of the inputs seen.
 */
import type { PolicyDecisionResult, PolicyEngine, PolicyInput } from "../../../services/gateway/policy/policy-engine.js";
import { samplePolicyInput } from "../../../services/gateway/policy/testing/sample-policy-input.js";

/** A PolicyEngine answering from a function and recording every input. */
export interface RecordingEngine extends PolicyEngine {
  /** Inputs decided so far, in order. */
  readonly inputs: PolicyInput[];
}

/** Creates an engine that answers with `decide` and reports `ready` as given. */
export function createRecordingEngine(
  decide: (input: PolicyInput) => PolicyDecisionResult,
  options: { ready?: boolean } = {},
): RecordingEngine {
  const inputs: PolicyInput[] = [];
  return {
    kind: "embedded",
    bundleHash: "0".repeat(64),
    inputs,
    async decide(input) {
      inputs.push(input);
      return decide(input);
    },
    ready: async () => options.ready ?? true,
    close: async () => undefined,
  };
}

/** The base input of the tests: a dev operator call. */
export function sampleInput(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return samplePolicyInput({ tenant_id: "acme", roles: ["engineer"], ...overrides });
}
