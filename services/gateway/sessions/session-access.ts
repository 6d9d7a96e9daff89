/**
 * Opens an existing session for one call, in the order of reference §11.1 item 5: token present → session
 * lease (per-session serialisation across instances, without holding a database connection while the call
 * runs) → session known → not finalized → caller is the owner → token valid and unexpired. Refusals of a known
 * session are recorded as POLICY_DECISION deny events.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import { errors } from "#core/errors/pecr-error.js";
import type { CommitResult, LoadedSession, UnitOfWork } from "../ledger/ledger-types.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import type { SnapshotRef } from "../evidence/evidence-builder.js";
import type { PolicySessionFacts } from "../policy/policy-input.js";
import { type CallIdentity, createEventStamper, type EventStamper } from "../operators/call-context.js";
import { policyDecisionPayload } from "../operators/event-payloads.js";
import { parseUlid } from "#core/observability/request-ids.js";
import { sessionTokenMatches } from "./session-token.js";

/** A session opened for one call; the caller must end it with a unit that releases `lease`, or `release()`. */
export interface OpenSession {
  /** The session, its snapshot and runtime counters (read under the lease). */
  readonly loaded: LoadedSession;
  /** The lease held for this call. */
  readonly lease: { readonly sessionId: string; readonly owner: string };
  /** Stamps this call's events. */
  readonly stamper: EventStamper;
  /** The session's facts for policy inputs. */
  readonly facts: PolicySessionFacts;
  /** The snapshot evidence is bound to. */
  readonly snapshot: SnapshotRef;
  /** Commits the unit that ends the call, releasing the lease in the same transaction. */
  commitAndRelease(unit: Omit<UnitOfWork, "releaseLease">): Promise<CommitResult>;
  /** Gives the lease back unless a committed unit already did (idempotent; call it in `finally`). */
  release(): Promise<void>;
}

const INVALID_CREDENTIALS = "invalid session credentials";

/** Opens `sessionId` for `call`; `opName` names the action in refusal events. */
export async function openSession(deps: GatewayDeps, call: CallIdentity, sessionId: string, opName: string): Promise<OpenSession> {
  if (call.sessionToken === undefined || call.sessionToken === "") {
    throw errors.credentialsDenied("missing or invalid session token");
  }
  if (sessionId === "") throw errors.invalidParams("params.session_id is required");
  // Session ids are ULIDs: anything else cannot name a session, and never reaches the database.
  if (parseUlid(sessionId) !== sessionId) throw errors.unknownSession();
  const endTurn = await deps.sessionQueue.acquire(sessionId, call.signal);
  const owner = `${deps.instanceId}:${deps.ids.ulid()}`;
  let loaded: LoadedSession;
  try {
    loaded = await deps.ledger.leaseSession({
      sessionId,
      owner,
      ttlMs: Math.max(deps.config.ledgerWriteTimeoutMs, 200) * 10,
      timeoutMs: Math.max(deps.config.ledgerWriteTimeoutMs, 200),
      signal: call.signal,
    });
  } catch (error) {
    endTurn();
    throw error;
  }
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await deps.ledger.releaseSessionLease(sessionId, owner).catch((cause: unknown) => {
      deps.logger.warn({ err: cause, session_id: sessionId }, "gateway.lease_release_failed");
    });
    endTurn();
  };
  try {
    const stamper = createEventStamper(deps, call, {
      traceId: loaded.session.traceId,
      sessionId,
      policySnapshotId: loaded.session.policySnapshotId,
    });
    if (loaded.runtime.finalized) throw errors.sessionFinalized();

    const refusal =
      loaded.session.principalId !== call.principal.principalId
        ? "principal_mismatch"
        : !sessionTokenMatches(call.sessionToken, loaded.runtime.sessionTokenHash) ||
            timestampDate(loaded.runtime.tokenExpiresAt).getTime() <= deps.clock.now().getTime()
          ? "invalid_session_token"
          : undefined;
    if (refusal !== undefined) {
      deps.logger.warn(
        { session_id: sessionId, principal_id: call.principal.principalId, trace_id: loaded.session.traceId, request_id: call.requestId },
        refusal === "principal_mismatch" ? "gateway.principal_mismatch" : "gateway.session_token_invalid",
      );
      await deps.ledger.commit({
        events: [
          stamper.event(
            policyDecisionPayload(opName === "finalize" ? PolicyAction.FINALIZE : PolicyAction.OPERATOR_CALL, opName, false, refusal),
          ),
        ],
        releaseLease: { sessionId, owner },
      });
      released = true;
      endTurn();
      throw errors.credentialsDenied(INVALID_CREDENTIALS);
    }
    return {
      loaded,
      lease: { sessionId, owner },
      stamper,
      facts: {
        sessionId,
        traceId: loaded.session.traceId,
        policySnapshotId: loaded.snapshot.policySnapshotId,
        policySnapshotHash: loaded.snapshot.policySnapshotHash,
        policyBundleHash: loaded.snapshot.policyBundleHash,
        asOfTime: loaded.snapshot.asOfTime!,
      },
      snapshot: { id: loaded.snapshot.policySnapshotId, hash: loaded.snapshot.policySnapshotHash },
      async commitAndRelease(unit) {
        const result = await deps.ledger.commit({ ...unit, releaseLease: { sessionId, owner } });
        released = true;
        endTurn();
        return result;
      },
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}
