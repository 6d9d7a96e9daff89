/**
 * A complete policy input for tests and benchmarks: a dev operator call (`search`) with every field of
 * `PolicyInput` set, so callers state only what their case is about.
 */
import type { PolicyInput } from "../policy-engine.js";

/** The sample input with `overrides` applied. */
export function samplePolicyInput(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    action: "operator_call",
    principal_id: "dev",
    tenant_id: "tenant-a",
    roles: [],
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
