/**
 * What one operator contributes to the shared pipeline: how its parameters present to the policy, and how it
 * executes once every check has passed.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { EvidenceUnit, EvidenceUnitRef } from "#gen/pecr/v1/evidence_pb.js";
import type { OperatorParams } from "#gen/pecr/v1/operator_pb.js";
import type { Principal } from "#gen/pecr/v1/policy_pb.js";
import type { OperatorName } from "../config/gateway-config.js";
import type { SnapshotRef } from "../evidence/evidence-builder.js";
import type { EventEnvelope, SourceVersionRecord } from "../ledger/ledger-types.js";
import type { PolicyDecisionResult } from "../policy/policy-engine.js";
import type { OperatorTarget, PolicySessionFacts } from "../policy/policy-input.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";

/** Everything an operator's execution may use. */
export interface ExecuteContext {
  /** Dependencies. */
  readonly deps: GatewayDeps;
  /** The caller. */
  readonly principal: Principal;
  /** The request id. */
  readonly requestId: string;
  /** Hash of the call's parameters (`params_hash`). */
  readonly paramsHash: string;
  /** The session's policy facts. */
  readonly session: PolicySessionFacts;
  /** The snapshot evidence is bound to. */
  readonly snapshot: SnapshotRef;
  /** The session's as_of time. */
  readonly asOf: Timestamp;
  /** Evidence ids emitted in this session so far. */
  readonly emittedEvidence: ReadonlySet<string>;
  /** The allow decision (its redaction applies to JSON evidence). */
  readonly decision: PolicyDecisionResult;
  /** Envelopes for events the execution's writes need (version observations). */
  envelope(): EventEnvelope;
  /** The retrieval time stamped on evidence. */
  readonly retrievedAt: Timestamp;
  /** Aborted with the caller. */
  readonly signal: AbortSignal | undefined;
}

/** What an execution produced. */
export interface OperatorExecution<R> {
  /** The result handed back to the RPC. */
  readonly result: R;
  /** Evidence to store and emit into the session, in order. */
  readonly emitted: readonly EvidenceUnit[];
  /** Evidence leaving the gateway (checked at egress); usually `emitted`. */
  readonly egressUnits: readonly EvidenceUnit[];
  /** Refs leaving the gateway (search), checked at egress. */
  readonly egressRefs: readonly EvidenceUnitRef[];
  /** New source-version observations to record. */
  readonly sourceVersions: readonly SourceVersionRecord[];
  /** Canonical size of the result. */
  readonly resultBytes: number;
  /** Reads served with a version first observed after the session's as_of. */
  readonly staleReads: number;
  /** Whether the result came from the cache. */
  readonly cacheHit: boolean;
}

/** One operator. */
export interface OperatorDefinition<P, R> {
  /** The operator's name (allowlist, policy, metrics, events). */
  readonly opName: OperatorName;
  /** The parameters as the hashed `OperatorParams`. */
  toOperatorParams(params: P): OperatorParams;
  /** What the call reads, for the policy input. Throws ERR_INVALID_PARAMS for malformed parameters. */
  target(params: P): Omit<OperatorTarget, "opName" | "paramsHash" | "paramsBytes">;
  /** Runs the operator. Throws PecrErrors (charged as failed calls). */
  execute(context: ExecuteContext, params: P): Promise<OperatorExecution<R>>;
}
