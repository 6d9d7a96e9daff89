/**
 * The per-call facts shared by the operator pipeline, session creation and finalize: who calls, which request,
 * and how ledger event envelopes are stamped (caller-supplied ids and times: the ledger's record builders never
 * read a clock).
 */
import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Principal } from "#gen/pecr/v1/policy_pb.js";
import type { EventEnvelope, EventPayload, UnsealedEvent } from "../ledger/ledger-types.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";

/** Who is calling, and the request's correlation. */
export interface CallIdentity {
  /** The authenticated caller. */
  readonly principal: Principal;
  /** The request id (sanitised `x-pecr-request-id` or generated). */
  readonly requestId: string;
  /** The trace id from `x-pecr-trace-id` (used by CreateSession; later calls use the session's). */
  readonly traceId: string;
  /** The session capability token sent, if any. */
  readonly sessionToken: string | undefined;
  /** Aborted when the caller goes away or its deadline passes. */
  readonly signal: AbortSignal | undefined;
}

/** The session-level part of an event envelope. */
export interface EnvelopeScope {
  /** Trace id. */
  readonly traceId: string;
  /** Session id ("" outside a session). */
  readonly sessionId: string;
  /** Policy snapshot id ("" outside a session). */
  readonly policySnapshotId: string;
}

/** Stamps events of one call. */
export interface EventStamper {
  /** A fresh envelope (new event id, current time). */
  envelope(): EventEnvelope;
  /** A complete event with a fresh envelope. */
  event(payload: EventPayload): UnsealedEvent;
  /** The current time as a Timestamp (whole milliseconds). */
  now(): Timestamp;
}

/** Creates the stamper of a call: events carry the caller as principal and the session's trace and snapshot. */
export function createEventStamper(deps: GatewayDeps, call: CallIdentity, scope: EnvelopeScope): EventStamper {
  const now = () => timestampFromMs(deps.clock.now().getTime());
  const envelope = (): EventEnvelope => ({
    eventId: deps.ids.ulid(),
    eventTime: now(),
    traceId: scope.traceId,
    sessionId: scope.sessionId,
    principalId: call.principal.principalId,
    policySnapshotId: scope.policySnapshotId,
    requestId: call.requestId,
  });
  return { envelope, event: (payload) => ({ ...envelope(), payload }), now };
}
