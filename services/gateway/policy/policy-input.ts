/**
 * Builds the policy input documents (`PolicyInput`) from a principal, a session and a request. Every field the
 * policy may read is present (null when it does not apply), so rules can test `!= null`.
 */
import { toJson } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp, ValueSchema } from "@bufbuild/protobuf/wkt";
import { type Principal, PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import type { PolicyActionName, PolicyInput, PolicyJson } from "./policy-engine.js";

/** The session facts a policy input carries. */
export interface PolicySessionFacts {
  /** Session id (null before the session exists). */
  readonly sessionId: string | null;
  /** Trace id. */
  readonly traceId: string | null;
  /** Snapshot id (null before the session exists). */
  readonly policySnapshotId: string | null;
  /** Snapshot hash. */
  readonly policySnapshotHash: string;
  /** Bundle hash. */
  readonly policyBundleHash: string;
  /** As_of time. */
  readonly asOfTime: Timestamp;
}

/** What an operator call reads, for the policy. */
export interface OperatorTarget {
  /** Operator name. */
  readonly opName: string;
  /** Hash of the parameters. */
  readonly paramsHash: string;
  /** Canonical size of the parameters. */
  readonly paramsBytes: number;
  /** Document read (document operators). */
  readonly objectId?: string | null;
  /** Safe view read (row operators). */
  readonly viewId?: string | null;
  /** Hash of requested fields (fetch_rows). */
  readonly fieldsHash?: string | null;
  /** Fingerprint of the filter, when one is given. */
  readonly filterFingerprint?: string | null;
}

/** RFC 3339 UTC at whole seconds (`YYYY-MM-DDTHH:MM:SSZ`). */
export function rfc3339Seconds(timestamp: Timestamp): string {
  return timestampDate(timestamp).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function attributesJson(principal: Principal): { [claim: string]: PolicyJson } {
  const result: { [claim: string]: PolicyJson } = {};
  for (const [claim, value] of Object.entries(principal.attributes)) result[claim] = toJson(ValueSchema, value) as PolicyJson;
  return result;
}

/** The input of a decision about `action`. */
export function buildPolicyInput(
  action: PolicyActionName,
  principal: Principal,
  session: PolicySessionFacts,
  requestId: string,
  extra: { target?: OperatorTarget; budgetHash?: string } = {},
): PolicyInput {
  const target = extra.target;
  return {
    action,
    principal_id: principal.principalId,
    tenant_id: principal.tenantId,
    roles: [...principal.roles],
    attributes: attributesJson(principal),
    principal_kind: principal.kind === PrincipalKind.HUMAN ? "human" : "agent",
    policy_snapshot_hash: session.policySnapshotHash,
    policy_bundle_hash: session.policyBundleHash,
    as_of_time: rfc3339Seconds(session.asOfTime),
    request_id: requestId,
    trace_id: session.traceId,
    session_id: session.sessionId,
    policy_snapshot_id: session.policySnapshotId,
    budget_hash: extra.budgetHash ?? null,
    op_name: target?.opName ?? null,
    params_hash: target?.paramsHash ?? null,
    params_bytes: target?.paramsBytes ?? null,
    object_id: target?.objectId ?? null,
    view_id: target?.viewId ?? null,
    fields_hash: target?.fieldsHash ?? null,
    filter_fingerprint: target?.filterFingerprint ?? null,
  };
}
