/**
 * The ledger's domain types: what the gateway hands in (a unit of work) and what it gets back (sealed events,
 * loaded sessions, stored evidence and versions). Ids and times are always supplied by the caller.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import type { ClaimMap } from "#gen/pecr/v1/claim_pb.js";
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import type { LedgerEvent } from "#gen/pecr/v1/ledger_pb.js";
import type { PolicySnapshot } from "#gen/pecr/v1/policy_pb.js";

/** `LedgerEvent.domain` of every event. */
export const LEDGER_EVENT_DOMAIN = "pecr.ledger_event";
/** `LedgerCheckpoint.domain` of every checkpoint. */
export const LEDGER_CHECKPOINT_DOMAIN = "pecr.ledger_checkpoint";
/** Schema version of events and checkpoints written by this code. */
export const LEDGER_SCHEMA_VERSION = 1;
/** The one chain the gateway writes. */
export const MAIN_CHAIN_ID = "main";

/** A set payload of a ledger event. */
export type EventPayload = Exclude<LedgerEvent["payload"], { case: undefined }>;

/** The caller-supplied part of every event: ids, time and correlation. */
export interface EventEnvelope {
  /** Unique id (a ULID). */
  readonly eventId: string;
  /** When it happened; whole microseconds (the database keeps microseconds). */
  readonly eventTime: Timestamp;
  /** The run's trace id. */
  readonly traceId: string;
  /** The session, or "" for events outside a session. */
  readonly sessionId: string;
  /** The caller. */
  readonly principalId: string;
  /** The session's policy snapshot, or "". */
  readonly policySnapshotId: string;
  /** The request that caused it. */
  readonly requestId: string;
}

/** An event before the writer fills in domain, schema version, chain, seq and prev_hash. */
export interface UnsealedEvent extends EventEnvelope {
  /** What happened. */
  readonly payload: EventPayload;
}

/** An event as appended: its place in the chain, its hash and the exact bytes hashed. */
export interface SealedEvent {
  /** Position in the chain. */
  readonly seq: bigint;
  /** Hash of the previous event (64 zeros for seq 1). */
  readonly prevHash: string;
  /** Domain-separated SHA-256 of `canonicalBytes`. */
  readonly eventHash: string;
  /** `POLICY_DECISION`, `EVIDENCE_EMITTED`, ... (derived from the payload case). */
  readonly eventType: string;
  /** The event. */
  readonly event: LedgerEvent;
  /** Its canonical bytes, as stored. */
  readonly canonicalBytes: Uint8Array;
}

/** A new session row. */
export interface SessionRecord {
  /** Session id. */
  readonly sessionId: string;
  /** The run's trace id. */
  readonly traceId: string;
  /** The session's owner. */
  readonly principalId: string;
  /** The owner's tenant. */
  readonly tenantId: string;
  /** The snapshot the session is bound to. */
  readonly policySnapshotId: string;
  /** The session's budget. */
  readonly budget: Budget;
  /** When the session was created. */
  readonly createdAt: Timestamp;
}

/** The runtime row written with a new session. */
export interface RuntimeInsert {
  /** Discriminator. */
  readonly kind: "insert";
  /** Session id. */
  readonly sessionId: string;
  /** Tenant of the session. */
  readonly tenantId: string;
  /** Hash of the capability token (`sessionTokenHash`). */
  readonly sessionTokenHash: string;
  /** When the token expires. */
  readonly tokenExpiresAt: Timestamp;
  /** Time of the write. */
  readonly updatedAt: Timestamp;
}

/** A change of a session's runtime row; unset fields keep their value. */
export interface RuntimeUpdate {
  /** Discriminator. */
  readonly kind: "update";
  /** Session id. */
  readonly sessionId: string;
  /**
   * Fencing: the lease owner the caller acquired the session with. The update (and so the whole unit) fails
   * when the lease is no longer this owner's, so a caller whose lease expired cannot overwrite newer counters.
   */
  readonly leaseOwner?: string | undefined;
  /**
   * Optimistic concurrency, for a caller that holds no lease: the runtime version the caller's state was read at.
   * The update (and so the whole unit) applies only if the row is still at this version and no lease is held;
   * otherwise the commit rejects with `RuntimeConflictError` and nothing of the unit is written.
   */
  readonly expectVersion?: bigint | undefined;
  /** New operator-call counter. */
  readonly operatorCallsUsed?: bigint | undefined;
  /** New byte counter. */
  readonly bytesUsed?: bigint | undefined;
  /** Evidence ids to add to the session's set. */
  readonly addEvidenceUnitIds?: readonly string[] | undefined;
  /** Marks the session finalized (never un-finalizes). */
  readonly finalized?: boolean | undefined;
  /** Time of the write. */
  readonly updatedAt: Timestamp;
}

/** An evidence unit emitted into a session. */
export interface EvidenceRecord {
  /** The unit (its id is checked against its identity before writing). */
  readonly unit: EvidenceUnit;
  /** The emitting run's trace id. */
  readonly traceId: string;
  /** The emitting session. */
  readonly sessionId: string;
}

/** A gated claim map. */
export interface ClaimMapRecord {
  /** The claim map as decided by the gate. */
  readonly claimMap: ClaimMap;
  /** The run's trace id. */
  readonly traceId: string;
  /** The session. */
  readonly sessionId: string;
}

/** An observed version of a source object (stored once, with the as_of of its first observation). */
export interface SourceVersionRecord {
  /** `fs_corpus` or `pg_safeview`. */
  readonly sourceSystem: string;
  /** The object. */
  readonly objectId: string;
  /** Content address of `bytes` (checked before writing). */
  readonly versionId: string;
  /** The as_of time of this observation. */
  readonly observedAsOf: Timestamp;
  /** The version's exact bytes. */
  readonly bytes: Uint8Array;
  /**
   * Envelope of the SOURCE_VERSION_OBSERVED event appended when this observation is the first one; no event is
   * appended when the version was already stored.
   */
  readonly observedEvent?: EventEnvelope | undefined;
}

/** A session lease to give up. */
export interface LeaseRef {
  /** Session id. */
  readonly sessionId: string;
  /** The owner that holds it. */
  readonly owner: string;
}

/**
 * A step of an approval of an escalated MCP tool call, written with the event that causes it (named by
 * `eventId`, one of the unit's events). `decide` and `consume` fail the unit when the step is not possible
 * (SQLSTATE PM001, see mcp-approval-writes.ts): an approval is decided once and consumed once, and only after an approval.
 */
export type McpApprovalWrite =
  | {
      /** A new pending approval (an ESCALATED enforcement event). */
      readonly kind: "request";
      /** The approval's id. */
      readonly approvalId: string;
      /** The principal whose call was escalated. */
      readonly actor: string;
      /** Its tenant. */
      readonly tenantId: string;
      /** The tool called. */
      readonly toolName: string;
      /** The call's arguments hash. */
      readonly argumentsHash: string;
      /** The ESCALATED event's id. */
      readonly eventId: string;
      /** When. */
      readonly at: Timestamp;
    }
  | {
      /** A human's decision on a pending approval (an MCP_APPROVAL event). */
      readonly kind: "decide";
      /** The approval. */
      readonly approvalId: string;
      /** Approved or rejected. */
      readonly approved: boolean;
      /** The human. */
      readonly approver: string;
      /** The MCP_APPROVAL event's id. */
      readonly eventId: string;
      /** When. */
      readonly at: Timestamp;
    }
  | {
      /** One run of the approved call (an ALLOWED enforcement event); the approval must match the call. */
      readonly kind: "consume";
      /** The approval. */
      readonly approvalId: string;
      /** The principal running the call (must be the approval's actor). */
      readonly actor: string;
      /** The tool called (must be the approval's). */
      readonly toolName: string;
      /** The call's arguments hash (must be the approval's). */
      readonly argumentsHash: string;
      /** The ALLOWED event's id. */
      readonly eventId: string;
      /** When. */
      readonly at: Timestamp;
    };

/** Everything one request writes, committed atomically (with other units of the same batch). */
export interface UnitOfWork {
  /** A new policy snapshot. */
  readonly policySnapshot?: PolicySnapshot | undefined;
  /** A new session. */
  readonly session?: SessionRecord | undefined;
  /** The session's runtime row: inserted with a new session, updated after calls. */
  readonly runtime?: RuntimeInsert | RuntimeUpdate | undefined;
  /** Evidence units (inserted idempotently: an existing id keeps its first session and trace). */
  readonly evidence?: readonly EvidenceRecord[] | undefined;
  /** A gated claim map. */
  readonly claimMap?: ClaimMapRecord | undefined;
  /** Source versions observed. */
  readonly sourceVersions?: readonly SourceVersionRecord[] | undefined;
  /** Events to append, in order. */
  readonly events?: readonly UnsealedEvent[] | undefined;
  /** A lease released by this unit (the unit that ends a call). */
  readonly releaseLease?: LeaseRef | undefined;
  /** A step of an MCP approval, written atomically with the unit's events. */
  readonly mcpApproval?: McpApprovalWrite | undefined;
}

/** What a committed unit appended. */
export interface CommitResult {
  /** The unit's events in chain order (its own, then SOURCE_VERSION_OBSERVED ones). */
  readonly events: readonly SealedEvent[];
}

/** A session's runtime state. */
export interface SessionRuntime {
  /** Tenant. */
  readonly tenantId: string;
  /** Hash of the capability token. */
  readonly sessionTokenHash: string;
  /** Token expiry. */
  readonly tokenExpiresAt: Timestamp;
  /** Operator calls charged. */
  readonly operatorCallsUsed: bigint;
  /** Bytes charged. */
  readonly bytesUsed: bigint;
  /** Evidence ids emitted in the session, sorted. */
  readonly evidenceUnitIds: readonly string[];
  /** Whether the session was finalized. */
  readonly finalized: boolean;
  /** Bumped by every committed change of the counters, evidence set or finalization (see `expectVersion`). */
  readonly version: bigint;
}

/** A session with its snapshot and runtime (reference §4.3). */
export interface LoadedSession {
  /** The session row. */
  readonly session: SessionRecord;
  /** Its policy snapshot. */
  readonly snapshot: PolicySnapshot;
  /** Its runtime row. */
  readonly runtime: SessionRuntime;
}

/** An evidence unit as stored. */
export interface StoredEvidence {
  /** The unit; its content is set only when payloads are stored. */
  readonly unit: EvidenceUnit;
  /** Trace of the first emission. */
  readonly traceId: string;
  /** Session of the first emission. */
  readonly sessionId: string;
}

/** An appended event as read back. */
export interface StoredEvent {
  /** Position. */
  readonly seq: bigint;
  /** Its hash. */
  readonly eventHash: string;
  /** Type. */
  readonly eventType: string;
  /** The decoded event. */
  readonly event: LedgerEvent;
}

/** A stored source version (without its bytes). */
export interface StoredVersion {
  /** Source system. */
  readonly sourceSystem: string;
  /** Object. */
  readonly objectId: string;
  /** Version. */
  readonly versionId: string;
  /** As_of of the first observation. */
  readonly firstObservedAsOf: Timestamp;
  /** Size of the bytes. */
  readonly byteLength: bigint;
}

/** Evidence storage mode (`PECR_EVIDENCE_PAYLOAD_STORE_MODE`). */
export type EvidencePayloadMode = "metadata-only" | "payload-enabled";
