/**
 * Builders of the gateway's ledger event payloads (pecr.v1.LedgerEvent oneof cases). Pure: the envelope (ids,
 * time) is added by the call's EventStamper.
 */
import { create } from "@bufbuild/protobuf";
import { type BudgetUsage, BudgetUsageSchema } from "#gen/pecr/v1/budget_pb.js";
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import {
  BudgetDimension,
  BudgetViolationEventSchema,
  EvidenceEmittedEventSchema,
  LeakDetectedEventSchema,
  OperatorCallEventSchema,
  OperatorOutcome,
  PolicyDecisionEventSchema,
} from "#gen/pecr/v1/ledger_pb.js";
import type { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import type { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { EventPayload } from "../ledger/ledger-types.js";

/** POLICY_DECISION. */
export function policyDecisionPayload(
  action: PolicyAction,
  opName: string,
  allow: boolean,
  reason: string,
  paramsHash = "",
): EventPayload {
  return { case: "policyDecision", value: create(PolicyDecisionEventSchema, { action, opName, allow, reason, paramsHash }) };
}

/** The facts of one charged operator call. */
export interface OperatorCallFacts {
  /** Operator name. */
  readonly opName: string;
  /** Parameters hash. */
  readonly paramsHash: string;
  /** Canonical size of the parameters. */
  readonly paramsBytes: number;
  /** Canonical size of the result (0 unless it succeeded). */
  readonly resultBytes: number;
  /** Whether the result came from the cache. */
  readonly cacheHit: boolean;
  /** Outcome. */
  readonly outcome: OperatorOutcome;
  /** Error code unless it succeeded. */
  readonly errorCode: string;
  /** Response terminal mode or the error's hint. */
  readonly terminalMode: TerminalMode;
  /** Session counters after the call. */
  readonly usage: BudgetUsage;
  /** Evidence units emitted. */
  readonly evidenceCount: number;
}

/** OPERATOR_CALL. */
export function operatorCallPayload(facts: OperatorCallFacts): EventPayload {
  return {
    case: "operatorCall",
    value: create(OperatorCallEventSchema, {
      opName: facts.opName,
      paramsHash: facts.paramsHash,
      paramsBytes: BigInt(facts.paramsBytes),
      resultBytes: BigInt(facts.resultBytes),
      cacheHit: facts.cacheHit,
      outcome: facts.outcome,
      errorCode: facts.errorCode,
      terminalMode: facts.terminalMode,
      usage: facts.usage,
      evidenceCount: facts.evidenceCount,
    }),
  };
}

/** EVIDENCE_EMITTED. */
export function evidenceEmittedPayload(unit: EvidenceUnit, opName: string): EventPayload {
  return {
    case: "evidenceEmitted",
    value: create(EvidenceEmittedEventSchema, {
      evidenceUnitId: unit.evidenceUnitId,
      contentHash: unit.contentHash,
      sourceSystem: unit.sourceSystem,
      objectId: unit.objectId,
      versionId: unit.versionId,
      opName,
    }),
  };
}

/** BUDGET_VIOLATION. */
export function budgetViolationPayload(
  opName: string,
  dimension: BudgetDimension,
  used: bigint,
  requested: bigint,
  limit: bigint,
): EventPayload {
  return { case: "budgetViolation", value: create(BudgetViolationEventSchema, { opName, dimension, used, requested, limit }) };
}

/** LEAK_DETECTED. */
export function leakDetectedPayload(opName: string, evidenceUnitId: string, reason: string): EventPayload {
  return { case: "leakDetected", value: create(LeakDetectedEventSchema, { opName, evidenceUnitId, reason }) };
}

/** Session counters as a BudgetUsage message. */
export function usageOf(operatorCallsUsed: bigint, bytesUsed: bigint): BudgetUsage {
  return create(BudgetUsageSchema, { operatorCallsUsed, bytesUsed });
}

export { BudgetDimension, OperatorOutcome };
