/**
 * The egress check: a last, independent look at everything about to leave the gateway. Each evidence unit and
 * search ref must be bound to the session's snapshot and readable by the caller under the policy (the same
 * question search filtering asks). A failure means a defect upstream; the response is withheld, a
 * LEAK_DETECTED event is recorded and `pecr_gateway_leakage_detections_total` counts it.
 */
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import type { EventPayload } from "../ledger/ledger-types.js";
import type { Principal } from "#gen/pecr/v1/policy_pb.js";
import { buildPolicyInput, type PolicySessionFacts } from "../policy/policy-input.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import type { OpenSession } from "../sessions/session-access.js";
import type { CallIdentity } from "./call-context.js";
import { leakDetectedPayload } from "./event-payloads.js";
import type { OperatorExecution } from "./operator-definition.js";

/** The read permission a unit needs: the operator and target the policy is asked about. */
function readTarget(unit: Pick<EvidenceUnit, "objectId" | "spanOrRowSpec">): { opName: string; objectId: string | null; viewId: string | null } {
  const spec = unit.spanOrRowSpec?.spec;
  switch (spec?.case) {
    case "dbRow":
      return { opName: "fetch_rows", objectId: null, viewId: spec.value.viewId };
    case "dbAggregate":
      return { opName: "aggregate", objectId: null, viewId: spec.value.viewId };
    default:
      return { opName: "fetch_span", objectId: unit.objectId, viewId: null };
  }
}

/** Who asks to read, within which session. */
export interface ReadCheckScope {
  /** The caller. */
  readonly principal: Principal;
  /** The request id. */
  readonly requestId: string;
  /** The session's policy facts. */
  readonly session: PolicySessionFacts;
  /** Aborted with the caller. */
  readonly signal: AbortSignal | undefined;
}

/** Asks the policy whether the caller may read `target` in this session (used by search filtering too). */
export async function mayRead(
  deps: GatewayDeps,
  scope: ReadCheckScope,
  target: { opName: string; objectId: string | null; viewId: string | null },
): Promise<boolean> {
  const input = buildPolicyInput("operator_call", scope.principal, scope.session, scope.requestId, {
    target: { opName: target.opName, paramsHash: "", paramsBytes: 0, objectId: target.objectId, viewId: target.viewId },
  });
  const decision = await deps.policy.decide(input, { signal: scope.signal });
  return decision.allow;
}

/** Returns the LEAK_DETECTED payload of the first violation, or undefined when everything may leave. */
export async function checkEgress(
  deps: GatewayDeps,
  call: CallIdentity,
  open: OpenSession,
  opName: string,
  execution: OperatorExecution<unknown>,
): Promise<EventPayload | undefined> {
  const decided = new Map<string, boolean>();
  const readable = async (target: ReturnType<typeof readTarget>) => {
    const key = `${target.opName}\u0000${target.objectId ?? ""}\u0000${target.viewId ?? ""}`;
    let allowed = decided.get(key);
    if (allowed === undefined) {
      allowed = await mayRead(deps, { principal: call.principal, requestId: call.requestId, session: open.facts, signal: call.signal }, target);
      decided.set(key, allowed);
    }
    return allowed;
  };
  for (const unit of execution.egressUnits) {
    if (unit.policySnapshotHash !== open.snapshot.hash) return leakDetectedPayload(opName, unit.evidenceUnitId, "snapshot_mismatch");
    if (!(await readable(readTarget(unit)))) return leakDetectedPayload(opName, unit.evidenceUnitId, "policy_denies_object");
  }
  for (const ref of execution.egressRefs) {
    if (!(await readable({ opName: "fetch_span", objectId: ref.objectId, viewId: null }))) {
      return leakDetectedPayload(opName, ref.evidenceUnitId, "policy_denies_object");
    }
  }
  return undefined;
}
