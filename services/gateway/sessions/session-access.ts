/**
 * Opens an existing session for one call, in the order of reference §11.1 item 5: token present → session
 * lease (per-session serialisation across instances, without holding a database connection while the call
 * runs) → session known → not finalized → caller is the owner → token valid and unexpired. Refusals of a known
 * session are recorded as POLICY_DECISION deny events.
 *
 * A session whose state this instance committed last (session-state-cache.ts) is opened optimistically instead:
 * no lease is taken, and the unit that ends the call is written only if nobody changed the session since. When
 * somebody did, `withConflictRetry` runs the call again under the lease. The checks above are the same either
 * way; the ones a stale state could get wrong cannot be: a finalized session, a token and a principal never
 * change back, and counters only grow.
 */
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import { errors } from "#core/errors/pecr-error.js";
import type { CommitResult, LoadedSession, RuntimeUpdate, UnitOfWork } from "../ledger/ledger-types.js";
import { RuntimeConflictError } from "../ledger/runtime-conflict.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import type { SnapshotRef } from "../evidence/evidence-builder.js";
import type { PolicySessionFacts } from "../policy/policy-input.js";
import { type CallIdentity, createEventStamper, type EventStamper } from "../operators/call-context.js";
import { policyDecisionPayload } from "../operators/event-payloads.js";
import { parseUlid } from "#core/observability/request-ids.js";
import { applyRuntimeUpdate } from "./session-state-cache.js";
import { sessionTokenMatches } from "./session-token.js";

/** How a call opens its session: on this instance's last committed state when it has one, or under the lease. */
export type SessionMode = "optimistic" | "leased";

/** A session opened for one call; the caller must end it with `commitAndRelease`, or `release()`. */
export interface OpenSession {
  /** The session, its snapshot and runtime counters (read under the lease, or as this instance committed them). */
  readonly loaded: LoadedSession;
  /** The lease held for this call; undefined when the call runs optimistically. */
  readonly lease: { readonly sessionId: string; readonly owner: string } | undefined;
  /** Stamps this call's events. */
  readonly stamper: EventStamper;
  /** The session's facts for policy inputs. */
  readonly facts: PolicySessionFacts;
  /** The snapshot evidence is bound to. */
  readonly snapshot: SnapshotRef;
  /**
   * Commits the unit that ends the call, releasing the lease in the same transaction. A runtime update of this
   * session is fenced by the lease (or, optimistic, by the version read); a lost optimistic write rejects with
   * `RuntimeConflictError`.
   */
  commitAndRelease(unit: Omit<UnitOfWork, "releaseLease">): Promise<CommitResult>;
  /** Gives the lease back unless a committed unit already did (idempotent; call it in `finally`). */
  release(): Promise<void>;
}

const INVALID_CREDENTIALS = "invalid session credentials";

/**
 * Runs `attempt` optimistically and, if its write lost to a change made elsewhere, once more under the session
 * lease (which cannot lose that way). The first attempt wrote nothing; only its in-process counters (metrics) saw it.
 */
export async function withConflictRetry<T>(deps: GatewayDeps, attempt: (mode: SessionMode) => Promise<T>): Promise<T> {
  try {
    return await attempt("optimistic");
  } catch (error) {
    if (!(error instanceof RuntimeConflictError)) throw error;
    deps.metrics.sessionConflict();
    return attempt("leased");
  }
}

/** Opens `sessionId` for `call`; `opName` names the action in refusal events. */
export async function openSession(
  deps: GatewayDeps,
  call: CallIdentity,
  sessionId: string,
  opName: string,
  mode: SessionMode = "leased",
): Promise<OpenSession> {
  if (call.sessionToken === undefined || call.sessionToken === "") {
    throw errors.credentialsDenied("missing or invalid session token");
  }
  if (sessionId === "") throw errors.invalidParams("params.session_id is required");
  // Session ids are ULIDs: anything else cannot name a session, and never reaches the database.
  if (parseUlid(sessionId) !== sessionId) throw errors.unknownSession();
  const endTurn = await deps.sessionQueue.acquire(sessionId, call.signal);
  const known = mode === "optimistic" ? deps.sessionStates.get(sessionId) : undefined;
  const owner = known === undefined ? `${deps.instanceId}:${deps.ids.ulid()}` : undefined;
  let loaded: LoadedSession;
  try {
    loaded =
      known ??
      (await deps.ledger.leaseSession({
        sessionId,
        owner: owner as string,
        ttlMs: Math.max(deps.config.ledgerWriteTimeoutMs, 200) * 10,
        timeoutMs: Math.max(deps.config.ledgerWriteTimeoutMs, 200),
        signal: call.signal,
      }));
  } catch (error) {
    endTurn();
    throw error;
  }
  const lease = owner === undefined ? undefined : { sessionId, owner };
  /**
   * This call's runtime update, fenced by its lease or by the version it read. An optimistic unit that changes
   * nothing of the runtime (a refusal) still checks the version: what it records (e.g. the counters a budget
   * refusal reports) must be the session's current state, not an older one.
   */
  const fenced = (runtime: UnitOfWork["runtime"]): UnitOfWork["runtime"] => {
    if (owner === undefined && runtime === undefined) {
      return { kind: "update", sessionId, updatedAt: timestampFromMs(deps.clock.now().getTime()), expectVersion: loaded.runtime.version };
    }
    return runtime?.kind !== "update" || runtime.sessionId !== sessionId
      ? runtime
      : ({ ...runtime, leaseOwner: owner, expectVersion: owner === undefined ? loaded.runtime.version : undefined } satisfies RuntimeUpdate);
  };
  /** Commits `unit`, giving the lease back in it, and records the state it leaves (or forgets it on failure). */
  const commitEnding = async (unit: Omit<UnitOfWork, "releaseLease">): Promise<CommitResult> => {
    const runtime = fenced(unit.runtime);
    let result: CommitResult;
    try {
      result = await deps.ledger.commit({ ...unit, runtime, releaseLease: lease });
    } catch (error) {
      deps.sessionStates.delete(sessionId);
      throw error;
    }
    const after = runtime?.kind === "update" && runtime.sessionId === sessionId ? applyRuntimeUpdate(loaded, runtime) : loaded;
    if (after.runtime.finalized) deps.sessionStates.delete(sessionId);
    else deps.sessionStates.set(sessionId, after);
    return result;
  };
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    if (owner !== undefined) {
      await deps.ledger.releaseSessionLease(sessionId, owner).catch((cause: unknown) => {
        deps.logger.warn({ err: cause, session_id: sessionId }, "gateway.lease_release_failed");
      });
    }
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
      await commitEnding({
        events: [
          stamper.event(
            policyDecisionPayload(opName === "finalize" ? PolicyAction.FINALIZE : PolicyAction.OPERATOR_CALL, opName, false, refusal),
          ),
        ],
      });
      released = true;
      endTurn();
      throw errors.credentialsDenied(INVALID_CREDENTIALS);
    }
    return {
      loaded,
      lease,
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
        const result = await commitEnding(unit);
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
