/**
 * CreateSession (reference §2.5, with DESIGN.md's decisions): a session bound to a policy snapshot of the caller
 * (principal, tenant, roles, attributes, bundle hash, as_of), a budget and a capability token of 256 random bits
 * of which only the hash is stored. The decision and the session are ledger events.
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import { PolicyAction, PolicySnapshotSchema, type PolicySnapshot } from "#gen/pecr/v1/policy_pb.js";
import { budgetHash, policySnapshotHash, sessionTokenHash } from "#core/canonical/identities.js";
import { errors, PecrError } from "#core/errors/pecr-error.js";
import { buildPolicyInput } from "../policy/policy-input.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { type CallIdentity, createEventStamper } from "../operators/call-context.js";
import { policyDecisionPayload } from "../operators/event-payloads.js";

/** A created session. */
export interface CreatedSession {
  /** Session id. */
  readonly sessionId: string;
  /** Trace id. */
  readonly traceId: string;
  /** The snapshot. */
  readonly snapshot: PolicySnapshot;
  /** The budget. */
  readonly budget: Budget;
  /** The capability token (returned once, in the response header). */
  readonly token: string;
  /** Token expiry. */
  readonly tokenExpiresAt: Timestamp;
}

const AS_OF_MESSAGE = "as_of_time must be RFC3339 UTC (YYYY-MM-DDTHH:MM:SSZ)";

/** The session's as_of: the request's (whole seconds only) or the configured default. */
function resolveAsOf(deps: GatewayDeps, requested: Timestamp | undefined): Timestamp {
  if (requested !== undefined) {
    if (requested.nanos !== 0 || requested.seconds < -62135596800n || requested.seconds > 253402300799n) {
      throw errors.invalidParams(AS_OF_MESSAGE);
    }
    return requested;
  }
  const fallback = deps.config.asOfTimeDefault === "now" ? deps.clock.now() : deps.config.asOfTimeDefault;
  return timestampFromMs(Math.floor(fallback.getTime() / 1000) * 1000);
}

/** Creates a session for the caller. */
export async function createSession(deps: GatewayDeps, call: CallIdentity, budget: Budget | undefined, requestedAsOf: Timestamp | undefined): Promise<CreatedSession> {
  if (budget === undefined) throw errors.invalidParams("invalid budget: budget is required");
  const asOf = resolveAsOf(deps, requestedAsOf);
  const { principal } = call;
  const sessionId = deps.ids.ulid();
  const policySnapshotId = deps.ids.ulid();
  const now = deps.clock.now();
  const snapshot = create(PolicySnapshotSchema, {
    policySnapshotId,
    principalId: principal.principalId,
    tenantId: principal.tenantId,
    principalRoles: [...principal.roles],
    principalAttrsHash: principal.principalAttrsHash,
    policyBundleHash: deps.policy.bundleHash,
    asOfTime: asOf,
    evaluatedAt: timestampFromMs(now.getTime()),
  });
  snapshot.principalRoles.sort();
  snapshot.policySnapshotHash = policySnapshotHash(snapshot);

  // Refusals are recorded outside any session (no snapshot is stored for them).
  const outside = createEventStamper(deps, call, { traceId: call.traceId, sessionId: "", policySnapshotId: "" });
  const input = buildPolicyInput(
    "create_session",
    principal,
    { sessionId: null, traceId: call.traceId, policySnapshotId: null, policySnapshotHash: snapshot.policySnapshotHash, policyBundleHash: snapshot.policyBundleHash, asOfTime: asOf },
    call.requestId,
    { budgetHash: budgetHash(budget) },
  );
  let decision;
  try {
    decision = await deps.policy.decide(input, { signal: call.signal });
  } catch (cause) {
    deps.metrics.policyDecision("create_session", "error");
    const error = cause instanceof PecrError ? cause : errors.sourceUnavailable("policy engine unavailable", { cause });
    await deps.ledger
      .commit({ events: [outside.event(policyDecisionPayload(PolicyAction.CREATE_SESSION, "create_session", false, "policy_engine_error"))] })
      .catch((ledgerError: unknown) => deps.logger.warn({ err: ledgerError, request_id: call.requestId }, "gateway.audit_write_failed"));
    throw error;
  }
  deps.metrics.policyDecision("create_session", decision.allow ? "allow" : "deny");
  const reason = decision.reason || (decision.allow ? "policy_allow" : "policy_deny");
  if (!decision.allow) {
    await deps.ledger.commit({ events: [outside.event(policyDecisionPayload(PolicyAction.CREATE_SESSION, "create_session", false, reason))] });
    throw errors.policyDenied();
  }

  const token = deps.ids.sessionToken();
  const tokenExpiresAt = timestampFromMs(now.getTime() + deps.config.sessionTokenTtlSecs * 1000);
  const inside = createEventStamper(deps, call, { traceId: call.traceId, sessionId, policySnapshotId });
  const session = { sessionId, traceId: call.traceId, principalId: principal.principalId, tenantId: principal.tenantId, policySnapshotId, budget, createdAt: inside.now() };
  const runtime = { tenantId: principal.tenantId, sessionTokenHash: sessionTokenHash(token), tokenExpiresAt };
  await deps.ledger.commit({
    policySnapshot: snapshot,
    session,
    runtime: { kind: "insert", sessionId, ...runtime, updatedAt: inside.now() },
    events: [
      inside.event(policyDecisionPayload(PolicyAction.CREATE_SESSION, "create_session", true, reason)),
      inside.event({ case: "sessionCreated", value: { $typeName: "pecr.v1.SessionCreatedEvent", policySnapshot: snapshot, budget, tokenExpiresAt } }),
    ],
  });
  // This instance wrote the session's first state, so its first call here needs no lease (session-state-cache.ts).
  deps.sessionStates.set(sessionId, {
    session,
    snapshot,
    runtime: { ...runtime, operatorCallsUsed: 0n, bytesUsed: 0n, evidenceUnitIds: [], finalized: false, version: 0n },
  });
  deps.logger.info(
    {
      trace_id: call.traceId,
      request_id: call.requestId,
      session_id: sessionId,
      principal_id: principal.principalId,
      policy_snapshot_id: policySnapshotId,
      policy_snapshot_hash: snapshot.policySnapshotHash,
      as_of_time: timestampDate(asOf).toISOString(),
    },
    "gateway.create_session",
  );
  return { sessionId, traceId: call.traceId, snapshot, budget, token, tokenExpiresAt };
}
