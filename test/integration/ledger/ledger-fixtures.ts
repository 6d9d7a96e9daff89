/**
 * Builders of realistic ledger records for the ledger suites: a session (snapshot, session, runtime and its
 * SESSION_CREATED and POLICY_DECISION events), evidence units with valid ids, claim maps with FINALIZE_RESULT,
 * source versions. Ids and times are derived from a counter, so runs are reproducible.
 */
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { BudgetSchema, BudgetUsageSchema } from "#gen/pecr/v1/budget_pb.js";
import { ClaimMapSchema, ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { ContentType, EvidenceUnitSchema, type EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import {
  FinalizeResultEventSchema,
  OperatorCallEventSchema,
  OperatorOutcome,
  PolicyDecisionEventSchema,
  SessionCreatedEventSchema,
} from "#gen/pecr/v1/ledger_pb.js";
import { PolicyAction, PolicySnapshotSchema, type PolicySnapshot } from "#gen/pecr/v1/policy_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { claimId, contentHash, evidenceUnitId, policySnapshotHash, principalAttrsHash, sessionTokenHash, sourceVersionId } from "#core/canonical/identities.js";
import { claimMapHash } from "../../../services/gateway/ledger/ledger-records.js";
import { evidenceEmittedPayload } from "../../../services/gateway/operators/event-payloads.js";
import type { EventEnvelope, SourceVersionRecord, UnitOfWork, UnsealedEvent } from "../../../services/gateway/ledger/ledger-types.js";

/** 2026-01-01T00:00:00Z in seconds. */
const BASE_SECONDS = 1_767_225_600n;

/** A timestamp `ms` milliseconds after the base time. */
export function at(ms: number): Timestamp {
  return create(TimestampSchema, { seconds: BASE_SECONDS + BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
}

/** Makes unique ids and times for one test. */
export interface FixtureIds {
  /** A fresh id with a prefix. */
  next(prefix: string): string;
  /** A fresh, increasing time. */
  time(): Timestamp;
}

/** Creates an id and time source; `scope` keeps ids of different tests or processes apart. */
export function createFixtureIds(scope: string): FixtureIds {
  let counter = 0;
  return {
    next: (prefix) => `${prefix}-${scope}-${++counter}`,
    time: () => at(++counter),
  };
}

/** The envelope of an event in a session. */
export function envelope(ids: FixtureIds, session: SessionRef): EventEnvelope {
  return {
    eventId: ids.next("evt"),
    eventTime: ids.time(),
    traceId: session.traceId,
    sessionId: session.sessionId,
    principalId: "dev",
    policySnapshotId: session.snapshotId,
    requestId: ids.next("req"),
  };
}

/** A POLICY_DECISION event. */
export function policyDecision(ids: FixtureIds, session: SessionRef, opName = "fetch_span"): UnsealedEvent {
  return {
    ...envelope(ids, session),
    payload: {
      case: "policyDecision",
      value: create(PolicyDecisionEventSchema, {
        action: PolicyAction.OPERATOR_CALL,
        opName,
        allow: true,
        reason: "policy_allow",
        paramsHash: "ab".repeat(32),
      }),
    },
  };
}

/** The ids an event carries about its session. */
export interface SessionRef {
  readonly sessionId: string;
  readonly traceId: string;
  readonly snapshotId: string;
}

/** Ids of a session, with its snapshot. */
export interface SessionIds extends SessionRef {
  readonly snapshot: PolicySnapshot;
}

/** A unit creating a session: snapshot, session and runtime rows, SESSION_CREATED and its POLICY_DECISION. */
export function sessionUnit(ids: FixtureIds): { unit: UnitOfWork; session: SessionIds } {
  const sessionId = ids.next("ses");
  const traceId = ids.next("trace");
  const snapshotId = ids.next("snap");
  const asOfTime = at(0);
  const identity = {
    principalId: "dev",
    tenantId: "local",
    principalRoles: ["analyst"],
    principalAttrsHash: principalAttrsHash({}),
    policyBundleHash: "cd".repeat(32),
    asOfTime,
  };
  const snapshot = create(PolicySnapshotSchema, {
    ...identity,
    policySnapshotId: snapshotId,
    policySnapshotHash: policySnapshotHash(identity),
    evaluatedAt: ids.time(),
  });
  const session: SessionIds = { sessionId, traceId, snapshotId, snapshot };
  const budget = create(BudgetSchema, { maxOperatorCalls: 10, maxBytes: 1_048_576n, maxWallclockMs: 10_000n, maxRecursionDepth: 5 });
  const createdAt = ids.time();
  return {
    session,
    unit: {
      policySnapshot: snapshot,
      session: { sessionId, traceId, principalId: "dev", tenantId: "local", policySnapshotId: snapshotId, budget, createdAt },
      runtime: {
        kind: "insert",
        sessionId,
        tenantId: "local",
        sessionTokenHash: sessionTokenHash(`token-${sessionId}`),
        tokenExpiresAt: at(900_000),
        updatedAt: createdAt,
      },
      events: [
        {
          ...envelope(ids, session),
          payload: {
            case: "policyDecision",
            value: create(PolicyDecisionEventSchema, {
              action: PolicyAction.CREATE_SESSION,
              opName: "create_session",
              allow: true,
              reason: "policy_allow",
            }),
          },
        },
        {
          ...envelope(ids, session),
          payload: {
            case: "sessionCreated",
            value: create(SessionCreatedEventSchema, { policySnapshot: snapshot, budget, tokenExpiresAt: at(900_000) }),
          },
        },
      ],
    },
  };
}

/** An evidence unit of `text` with a correct content hash and id. */
export function evidenceUnit(session: SessionIds, objectId: string, text: string): EvidenceUnit {
  const unit = create(EvidenceUnitSchema, {
    sourceSystem: "fs_corpus",
    objectId,
    versionId: sourceVersionId(new TextEncoder().encode(text)),
    spanOrRowSpec: {
      spec: { case: "textSpan", value: { startByte: 0n, endByte: BigInt(text.length), lineStart: 1n, lineEnd: 1n } },
    },
    contentType: ContentType.TEXT_PLAIN,
    content: { case: "text", value: text },
    contentHash: contentHash({ case: "text", value: text }),
    asOfTime: session.snapshot.asOfTime,
    retrievedAt: at(5),
    policySnapshotId: session.snapshotId,
    policySnapshotHash: session.snapshot.policySnapshotHash,
  });
  unit.evidenceUnitId = evidenceUnitId(unit);
  return unit;
}

/** A unit for a successful fetch: evidence rows, EVIDENCE_EMITTED events, OPERATOR_CALL, runtime update. */
export function fetchUnit(
  ids: FixtureIds,
  session: SessionIds,
  units: readonly EvidenceUnit[],
  options: { leaseOwner?: string; releaseLease?: boolean; calls?: bigint; expectVersion?: bigint } = {},
): UnitOfWork {
  return {
    evidence: units.map((unit) => ({ unit, traceId: session.traceId, sessionId: session.sessionId })),
    runtime: {
      kind: "update",
      sessionId: session.sessionId,
      leaseOwner: options.leaseOwner,
      expectVersion: options.expectVersion,
      operatorCallsUsed: options.calls ?? 1n,
      bytesUsed: 100n,
      addEvidenceUnitIds: units.map((u) => u.evidenceUnitId),
      updatedAt: ids.time(),
    },
    releaseLease: options.releaseLease === true && options.leaseOwner !== undefined
      ? { sessionId: session.sessionId, owner: options.leaseOwner }
      : undefined,
    events: [
      policyDecision(ids, session),
      ...units.map((unit) => ({ ...envelope(ids, session), payload: evidenceEmittedPayload(unit, "fetch_span") })),
      {
        ...envelope(ids, session),
        payload: {
          case: "operatorCall",
          value: create(OperatorCallEventSchema, {
            opName: "fetch_span",
            paramsHash: "ab".repeat(32),
            outcome: OperatorOutcome.SUCCESS,
            terminalMode: TerminalMode.SUPPORTED,
            usage: create(BudgetUsageSchema, { operatorCallsUsed: options.calls ?? 1n, bytesUsed: 100n }),
            evidenceCount: units.length,
          }),
        },
      },
    ],
  };
}

/** A unit finalizing a session: the claim map row and FINALIZE_RESULT citing its hash. */
export function finalizeUnit(ids: FixtureIds, session: SessionIds, evidenceIds: readonly string[]): UnitOfWork {
  const claimMap = create(ClaimMapSchema, {
    claimMapId: ids.next("cm"),
    terminalMode: TerminalMode.SUPPORTED,
    claims: [
      {
        claimId: claimId("The answer.", ClaimStatus.SUPPORTED, evidenceIds),
        claimText: "The answer.",
        status: ClaimStatus.SUPPORTED,
        evidenceUnitIds: [...evidenceIds].sort(),
      },
    ],
    coverageThreshold: 0.95,
    coverageObserved: 1,
  });
  return {
    claimMap: { claimMap, traceId: session.traceId, sessionId: session.sessionId },
    runtime: { kind: "update", sessionId: session.sessionId, finalized: true, updatedAt: ids.time() },
    events: [
      {
        ...envelope(ids, session),
        payload: {
          case: "finalizeResult",
          value: create(FinalizeResultEventSchema, {
            terminalMode: TerminalMode.SUPPORTED,
            proposedTerminalMode: TerminalMode.SUPPORTED,
            claimMapId: claimMap.claimMapId,
            claimMapHash: claimMapHash(claimMap),
            coverageThresholdPpm: 950_000,
            claimsTotal: 1,
            claimsNeedingEvidence: 1,
            claimsCitingEvidence: 1,
          }),
        },
      },
    ],
  };
}

/** An observation of `text` as a version of `objectId` at `asOf`, with its first-observation event envelope. */
export function versionRecord(
  ids: FixtureIds,
  session: SessionIds,
  objectId: string,
  text: string,
  asOf: Timestamp,
): SourceVersionRecord {
  const bytes = new TextEncoder().encode(text);
  return {
    sourceSystem: "fs_corpus",
    objectId,
    versionId: sourceVersionId(bytes),
    observedAsOf: asOf,
    bytes,
    observedEvent: envelope(ids, session),
  };
}
