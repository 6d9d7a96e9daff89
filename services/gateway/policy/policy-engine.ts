/**
 * The one interface the gateway decides through. Two engines implement it: the embedded Rego evaluator
 * (default) and the client of an OPA server's REST Data API. Both fail closed: no decision means no access.
 */

/** What a decision is about. */
export type PolicyActionName = "create_session" | "operator_call" | "finalize" | "audit";

/** A JSON value as it appears in a policy input. */
export type PolicyJson = null | boolean | number | string | PolicyJson[] | { [key: string]: PolicyJson };

/**
 * The policy input document (`input` in Rego). Fields that do not apply to an action are null, never absent,
 * so a rule can test them with `!= null`.
 */
export interface PolicyInput {
  /** The action decided. */
  readonly action: PolicyActionName;
  /** The caller's principal id. */
  readonly principal_id: string;
  /** The caller's tenant. */
  readonly tenant_id: string;
  /** The caller's roles, sorted. */
  readonly roles: readonly string[];
  /** The caller's ABAC attributes (configured OIDC claims). */
  readonly attributes: { readonly [claim: string]: PolicyJson };
  /** `human` or `agent`. */
  readonly principal_kind: "human" | "agent";
  /** Hash of the session's (or prospective session's) policy snapshot. */
  readonly policy_snapshot_hash: string;
  /** Hash of the policy bundle. */
  readonly policy_bundle_hash: string;
  /** The session's as_of time, RFC 3339 UTC. */
  readonly as_of_time: string;
  /** The request id. */
  readonly request_id: string;
  /** The trace id (null before a session exists). */
  readonly trace_id: string | null;
  /** The session id (null for create_session and audit). */
  readonly session_id: string | null;
  /** The session's policy snapshot id (null for create_session and audit). */
  readonly policy_snapshot_id: string | null;
  /** Hash of the budget (create_session only). */
  readonly budget_hash: string | null;
  /** The operator's snake_case name (operator_call only). */
  readonly op_name: string | null;
  /** Hash of the operator's parameters (operator_call only). */
  readonly params_hash: string | null;
  /** Canonical size of the operator's parameters (operator_call only). */
  readonly params_bytes: number | null;
  /** The object the operator reads, for document operators. */
  readonly object_id: string | null;
  /** The safe view the operator reads, for row operators. */
  readonly view_id: string | null;
  /** Hash of the requested fields (fetch_rows). */
  readonly fields_hash: string | null;
  /** Fingerprint of the filter (fetch_rows, aggregate), when one is given. */
  readonly filter_fingerprint: string | null;
}

/** A parsed, validated decision. */
export interface PolicyDecisionResult {
  /** Whether the action may proceed. */
  readonly allow: boolean;
  /** Whether the decision may be cached for an identical input. */
  readonly cacheable: boolean;
  /** Machine-readable reason. */
  readonly reason: string;
  /** Redaction to apply to JSON evidence; undefined when none. */
  readonly redaction: { readonly kind: "deny_fields" | "allow_fields"; readonly fields: readonly string[] } | undefined;
}

/** Options of one decision. */
export interface DecideOptions {
  /** Aborts the decision (the caller's deadline). */
  readonly signal?: AbortSignal;
}

/** A policy engine. */
export interface PolicyEngine {
  /** `embedded` or `opa`. */
  readonly kind: "embedded" | "opa";
  /** SHA-256 identity of the policy bundle (see `policyBundleHash`). */
  readonly bundleHash: string;
  /**
   * Decides `input` against `data.pecr.authz.decision`. Resolves to a decision (a malformed policy answer is a
   * deny with reason `invalid_policy_decision`); rejects with a PecrError when no decision could be had:
   * ERR_SOURCE_TIMEOUT "policy engine timeout", ERR_SOURCE_UNAVAILABLE "policy engine unavailable" or
   * "policy engine circuit breaker is open".
   */
  decide(input: PolicyInput, options?: DecideOptions): Promise<PolicyDecisionResult>;
  /** Whether the engine can answer now (readiness). */
  ready(): Promise<boolean>;
  /** Releases resources. */
  close(): Promise<void>;
}
