/**
 * The answer a planner proposes, turned into the response text and the proposed ClaimMap (reference §5.2 steps
 * 8–9): one claim per statement, each SUPPORTED claim citing the evidence it was taken from. With no statement,
 * the canned text of the proposed terminal mode is both the response text and one UNKNOWN claim.
 */
import { create } from "@bufbuild/protobuf";
import { canonicalClaimText, sortedUnique } from "#core/canonical/canonical-text.js";
import { claimId } from "#core/canonical/identities.js";
import { type Authorship, type ClaimMap, ClaimMapSchema, ClaimSchema, ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** The coverage threshold the controller proposes (the gateway replaces it with its own). */
export const PROPOSED_COVERAGE_THRESHOLD = 0.95;

/** Claims in one claim map at most (the proto's limit). */
export const MAX_CLAIMS = 256;

/** Claim text length limit (the proto's limit). */
export const MAX_CLAIM_TEXT_LENGTH = 4096;

/** One statement of an answer. */
export interface ProposedClaim {
  /** The statement, verbatim from the evidence for SUPPORTED claims. */
  readonly text: string;
  /** How it stands. */
  readonly status: ClaimStatus;
  /** Evidence ids it was taken from (SUPPORTED claims). */
  readonly evidenceUnitIds: readonly string[];
}

/** The canned answer texts of reference §5.2 step 8, by proposed terminal mode. */
export function cannedText(mode: TerminalMode): string {
  switch (mode) {
    case TerminalMode.INSUFFICIENT_PERMISSION:
      return "UNKNOWN: insufficient permission to access required evidence.";
    case TerminalMode.SOURCE_UNAVAILABLE:
      return "UNKNOWN: required sources were unavailable within budget.";
    case TerminalMode.SUPPORTED:
      return "UNKNOWN: supported mode not implemented yet.";
    default:
      return "UNKNOWN: insufficient evidence to answer the query.";
  }
}

/**
 * The terminal mode the controller proposes: an operator error's hint; INSUFFICIENT_EVIDENCE after a budget stop
 * (the answer may be incomplete); SUPPORTED when some claim cites evidence; otherwise INSUFFICIENT_EVIDENCE.
 * The gateway may only downgrade it.
 */
export function proposedTerminalMode(
  claims: readonly ProposedClaim[],
  loop: { readonly errorHint: TerminalMode | undefined; readonly budgetViolation: boolean },
): TerminalMode {
  if (loop.errorHint !== undefined) return loop.errorHint;
  if (loop.budgetViolation) return TerminalMode.INSUFFICIENT_EVIDENCE;
  const supported = claims.some((claim) => claim.status === ClaimStatus.SUPPORTED && claim.evidenceUnitIds.length > 0);
  return supported ? TerminalMode.SUPPORTED : TerminalMode.INSUFFICIENT_EVIDENCE;
}

/** Parses canned text lines as the original did: `UNKNOWN:` / `ASSUMPTION:` prefixes set the status. */
function claimsFromText(text: string): ProposedClaim[] {
  const claims: ProposedClaim[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("ASSUMPTION:")) {
      const rest = line.slice("ASSUMPTION:".length).trim();
      if (rest !== "") claims.push({ text: rest, status: ClaimStatus.ASSUMPTION, evidenceUnitIds: [] });
    } else if (line.startsWith("UNKNOWN:")) {
      claims.push({ text: line.slice("UNKNOWN:".length).trim() || line, status: ClaimStatus.UNKNOWN, evidenceUnitIds: [] });
    } else {
      claims.push({ text: line, status: ClaimStatus.UNKNOWN, evidenceUnitIds: [] });
    }
  }
  return claims;
}

/** The proposal sent to Finalize. */
export interface Proposal {
  /** The answer text: the claims' texts joined by newlines, or the canned text. */
  readonly responseText: string;
  /** The proposed claim map. */
  readonly claimMap: ClaimMap;
}

/** Builds the response text and claim map for `claims` proposed with `mode`. */
export function buildProposal(input: {
  readonly claims: readonly ProposedClaim[];
  readonly mode: TerminalMode;
  readonly claimMapId: string;
  readonly authorship: Authorship;
}): Proposal {
  const usable = input.claims
    .map((claim) => ({ ...claim, text: canonicalClaimText(claim.text) }))
    .filter((claim) => claim.text !== "" && claim.text.length <= MAX_CLAIM_TEXT_LENGTH && !claim.text.includes("\n"))
    .slice(0, MAX_CLAIMS);
  const responseText = usable.length > 0 ? usable.map((claim) => claim.text).join("\n") : cannedText(input.mode);
  const claims = usable.length > 0 ? usable : claimsFromText(responseText);
  return {
    responseText,
    claimMap: create(ClaimMapSchema, {
      claimMapId: input.claimMapId,
      terminalMode: input.mode,
      claims: claims.map((claim) => {
        const ids = sortedUnique(claim.evidenceUnitIds);
        const text = canonicalClaimText(claim.text);
        return create(ClaimSchema, {
          claimId: claimId(text, claim.status, ids),
          claimText: text,
          status: claim.status,
          evidenceUnitIds: ids,
        });
      }),
      coverageThreshold: PROPOSED_COVERAGE_THRESHOLD,
      coverageObserved: coverageOf(claims),
      authorship: input.authorship,
    }),
  };
}

/** Claims citing evidence / claims that need it (SUPPORTED ones); 0 when none need evidence, as the gate counts. */
function coverageOf(claims: readonly ProposedClaim[]): number {
  const needing = claims.filter((claim) => claim.status === ClaimStatus.SUPPORTED);
  if (needing.length === 0) return 0;
  return needing.filter((claim) => claim.evidenceUnitIds.length > 0).length / needing.length;
}
