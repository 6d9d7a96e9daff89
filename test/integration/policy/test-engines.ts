/**
 * Small in-test PolicyEngines for the compatible server: a decision function plus a log of the inputs seen.
 */
import type { PolicyDecisionResult, PolicyEngine, PolicyInput } from "../../../services/gateway/policy/policy-engine.js";

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
  return {
    action: "operator_call",
    principal_id: "dev",
    tenant_id: "acme",
    roles: ["engineer"],
    attributes: {},
    principal_kind: "human",
    policy_snapshot_hash: "a".repeat(64),
    policy_bundle_hash: "b".repeat(64),
    as_of_time: "2026-01-01T00:00:00Z",
    request_id: "req-1",
    trace_id: "01J00000000000000000000000",
    session_id: "session-1",
    policy_snapshot_id: "snapshot-1",
    budget_hash: null,
    op_name: "search",
    params_hash: "c".repeat(64),
    params_bytes: 10,
    object_id: null,
    view_id: null,
    fields_hash: null,
    filter_fingerprint: null,
    ...overrides,
  };
}
