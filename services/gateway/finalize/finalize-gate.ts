/**
 * The finalize gate (reference §2.9 with DESIGN.md §7's decisions). It decides the session's terminal mode
 * from the proposed claim map and the evidence actually emitted in this session:
 * - every cited id must be a SHA-256 id emitted in this session; a SUPPORTED claim citing nothing is
 *   downgraded to UNKNOWN; claim ids are recomputed; the configured threshold replaces the client's;
 * - coverage is honest: claims citing evidence / claims that need it (those proposed as SUPPORTED);
 * - the gate only downgrades: SUPPORTED only when proposed and the gate passes; a proposed
 *   INSUFFICIENT_PERMISSION or SOURCE_UNAVAILABLE survives; everything else is INSUFFICIENT_EVIDENCE.
 */
import { create } from "@bufbuild/protobuf";
import type { Budget, BudgetUsage } from "#gen/pecr/v1/budget_pb.js";
import { type ClaimMap, ClaimMapSchema, ClaimSchema, ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { canonicalClaimText, sortedUnique } from "#core/canonical/canonical-text.js";
import { isSha256Hex } from "#core/canonical/domain-hash.js";
import { claimId } from "#core/canonical/identities.js";
import { errors } from "#core/errors/pecr-error.js";

/** Inputs of the gate. */
export interface FinalizeGateInput {
  /** The proposed claim map. */
  readonly claimMap: ClaimMap;
  /** Ids of evidence emitted in this session. */
  readonly emittedEvidence: ReadonlySet<string>;
  /** The configured coverage threshold in [0, 1]. */
  readonly coverageThreshold: number;
  /** The session's budget. */
  readonly budget: Budget;
  /** The session's usage. */
  readonly usage: BudgetUsage;
}

/** The gate's verdict. */
export interface FinalizeGateResult {
  /** The gated claim map (its terminal mode is the verdict). */
  readonly claimMap: ClaimMap;
  /** The decided terminal mode. */
  readonly terminalMode: TerminalMode;
  /** The mode the controller proposed. */
  readonly proposedTerminalMode: TerminalMode;
  /** Claims proposed as SUPPORTED. */
  readonly claimsNeedingEvidence: number;
  /** Of those, claims citing evidence emitted in this session. */
  readonly claimsCitingEvidence: number;
  /** Whether the usage exceeded the budget. */
  readonly budgetViolation: boolean;
}

/** Runs the gate; throws ERR_INVALID_PARAMS for malformed claims. */
export function finalizeGate(input: FinalizeGateInput): FinalizeGateResult {
  let needing = 0;
  let citing = 0;
  const claims = input.claimMap.claims.map((claim) => {
    const text = canonicalClaimText(claim.claimText);
    if (text === "") throw errors.invalidParams("claim.claim_text must be non-empty");
    if (claim.status === ClaimStatus.UNSPECIFIED || ClaimStatus[claim.status] === undefined) {
      throw errors.invalidParams("claim.status must be SUPPORTED, ASSUMPTION or UNKNOWN");
    }
    const ids = sortedUnique(claim.evidenceUnitIds);
    for (const id of ids) {
      if (!isSha256Hex(id)) throw errors.invalidParams("claim.evidence_unit_ids must be sha256 hex");
      if (!input.emittedEvidence.has(id)) throw errors.invalidParams("claim references evidence not emitted in this trace");
    }
    let status = claim.status;
    if (status === ClaimStatus.SUPPORTED) {
      needing++;
      if (ids.length > 0) citing++;
      else status = ClaimStatus.UNKNOWN;
    }
    return create(ClaimSchema, { claimId: claimId(text, status, ids), claimText: text, status, evidenceUnitIds: ids });
  });

  const coverage = needing === 0 ? 0 : citing / needing;
  const budgetViolation =
    input.usage.operatorCallsUsed > BigInt(input.budget.maxOperatorCalls) || input.usage.bytesUsed > input.budget.maxBytes;
  const proposed = input.claimMap.terminalMode;
  const gatePasses = !budgetViolation && citing > 0 && coverage >= input.coverageThreshold;
  let terminalMode: TerminalMode;
  if (proposed === TerminalMode.SUPPORTED && gatePasses) terminalMode = TerminalMode.SUPPORTED;
  else if (proposed === TerminalMode.INSUFFICIENT_PERMISSION || proposed === TerminalMode.SOURCE_UNAVAILABLE) terminalMode = proposed;
  else terminalMode = TerminalMode.INSUFFICIENT_EVIDENCE;

  const claimMap = create(ClaimMapSchema, {
    claimMapId: input.claimMap.claimMapId,
    terminalMode,
    claims,
    coverageThreshold: input.coverageThreshold,
    coverageObserved: coverage,
    notes: input.claimMap.notes,
    authorship: input.claimMap.authorship,
  });
  return {
    claimMap,
    terminalMode,
    proposedTerminalMode: proposed,
    claimsNeedingEvidence: needing,
    claimsCitingEvidence: citing,
    budgetViolation,
  };
}
