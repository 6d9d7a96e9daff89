/**
 * Finalize (reference §2.9 with DESIGN.md §7): the session's owner submits a claim map; the gate decides the
 * terminal mode; the gated claim map, the FINALIZE_RESULT event and the finalized flag are written in one
 * transaction. The claim map id is assigned here (a client's value is ignored, like its claim ids), so ids
 * cannot collide across sessions.
 */
import { create } from "@bufbuild/protobuf";
import type { ClaimMap } from "#gen/pecr/v1/claim_pb.js";
import { ClaimMapSchema } from "#gen/pecr/v1/claim_pb.js";
import { FinalizeResultEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import type { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { hashMessage } from "#core/canonical/domain-hash.js";
import { errors, PecrError } from "#core/errors/pecr-error.js";
import { buildPolicyInput } from "../policy/policy-input.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { openSession, type SessionMode, withConflictRetry } from "../sessions/session-access.js";
import type { CallIdentity } from "../operators/call-context.js";
import { policyDecisionPayload, usageOf } from "../operators/event-payloads.js";
import { finalizeGate } from "./finalize-gate.js";

/** The gate's verdict as returned to the caller. */
export interface FinalizeOutcome {
  /** The decided terminal mode. */
  readonly terminalMode: TerminalMode;
  /** The session's trace id. */
  readonly traceId: string;
  /** The gated claim map. */
  readonly claimMap: ClaimMap;
  /** The answer text, unchanged. */
  readonly responseText: string;
}

/** Finalizes `sessionId` with the proposed claim map. */
export async function finalizeSession(
  deps: GatewayDeps,
  call: CallIdentity,
  sessionId: string,
  responseText: string,
  proposed: ClaimMap | undefined,
): Promise<FinalizeOutcome> {
  if (proposed === undefined) throw errors.invalidParams("claim_map is required");
  return withConflictRetry(deps, (mode) => finalizeOnce(deps, call, sessionId, responseText, proposed, mode));
}

/** One attempt of `finalizeSession`, on the session opened in `mode`. */
async function finalizeOnce(
  deps: GatewayDeps,
  call: CallIdentity,
  sessionId: string,
  responseText: string,
  proposed: ClaimMap,
  mode: SessionMode,
): Promise<FinalizeOutcome> {
  const open = await openSession(deps, call, sessionId, "finalize", mode);
  try {
    const { loaded, stamper } = open;
    let decision;
    try {
      decision = await deps.policy.decide(buildPolicyInput("finalize", call.principal, open.facts, call.requestId), { signal: call.signal });
    } catch (cause) {
      deps.metrics.policyDecision("finalize", "error");
      await open.commitAndRelease({ events: [stamper.event(policyDecisionPayload(PolicyAction.FINALIZE, "finalize", false, "policy_engine_error"))] });
      throw cause instanceof PecrError ? cause : errors.sourceUnavailable("policy engine unavailable", { cause });
    }
    deps.metrics.policyDecision("finalize", decision.allow ? "allow" : "deny");
    const decisionEvent = stamper.event(
      policyDecisionPayload(PolicyAction.FINALIZE, "finalize", decision.allow, decision.reason || (decision.allow ? "policy_allow" : "policy_deny")),
    );
    if (!decision.allow) {
      await open.commitAndRelease({ events: [decisionEvent] });
      throw errors.policyDenied();
    }

    let gate;
    try {
      gate = finalizeGate({
        claimMap: create(ClaimMapSchema, { ...proposed, claimMapId: deps.ids.ulid() }),
        emittedEvidence: new Set(loaded.runtime.evidenceUnitIds),
        coverageThreshold: deps.config.coverageThreshold,
        budget: loaded.session.budget,
        usage: usageOf(loaded.runtime.operatorCallsUsed, loaded.runtime.bytesUsed),
      });
    } catch (error) {
      await open.commitAndRelease({ events: [decisionEvent] });
      throw error;
    }

    const claimMapHash = hashMessage(ClaimMapSchema, gate.claimMap);
    await open.commitAndRelease({
      claimMap: { claimMap: gate.claimMap, traceId: loaded.session.traceId, sessionId },
      events: [
        decisionEvent,
        stamper.event({
          case: "finalizeResult",
          value: create(FinalizeResultEventSchema, {
            terminalMode: gate.terminalMode,
            proposedTerminalMode: gate.proposedTerminalMode,
            claimMapId: gate.claimMap.claimMapId,
            claimMapHash,
            coverageThresholdPpm: Math.round(deps.config.coverageThreshold * 1_000_000),
            claimsTotal: gate.claimMap.claims.length,
            claimsNeedingEvidence: gate.claimsNeedingEvidence,
            claimsCitingEvidence: gate.claimsCitingEvidence,
            usage: usageOf(loaded.runtime.operatorCallsUsed, loaded.runtime.bytesUsed),
            budget: loaded.session.budget,
          }),
        }),
      ],
      runtime: { kind: "update", sessionId, finalized: true, updatedAt: stamper.now() },
    });
    deps.logger.info(
      {
        trace_id: loaded.session.traceId,
        request_id: call.requestId,
        session_id: sessionId,
        principal_id: call.principal.principalId,
        policy_snapshot_id: loaded.session.policySnapshotId,
        terminal_mode: gate.terminalMode,
        coverage_observed: gate.claimMap.coverageObserved,
      },
      "gateway.finalize",
    );
    return { terminalMode: gate.terminalMode, traceId: loaded.session.traceId, claimMap: gate.claimMap, responseText };
  } finally {
    await open.release();
  }
}
