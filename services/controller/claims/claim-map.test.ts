import test from "ava";
import { create } from "@bufbuild/protobuf";
import { claimId } from "#core/canonical/identities.js";
import { AuthorshipSchema, ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { buildProposal, cannedText, proposedTerminalMode } from "./claim-map.js";

const authorship = create(AuthorshipSchema, { origin: TextOrigin.EXTRACTED, generator: "pecr-controller/extractive@1", aiGenerated: true });
const ID_A = "a".repeat(64);
const ID_B = "b".repeat(64);

test("supported claims become the response text, one per line, with their ids and citations", (t) => {
  const proposal = buildProposal({
    claims: [
      { text: "  Support hours are 9 to 5. ", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [ID_B, ID_A, ID_B] },
      { text: "cust_public_1 status: active", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [ID_A] },
    ],
    mode: TerminalMode.SUPPORTED,
    claimMapId: "01J00000000000000000000000",
    authorship,
  });
  t.is(proposal.responseText, "Support hours are 9 to 5.\ncust_public_1 status: active");
  const [first, second] = proposal.claimMap.claims;
  t.is(first?.claimText, "Support hours are 9 to 5.");
  t.deepEqual(first?.evidenceUnitIds, [ID_A, ID_B]);
  t.is(first?.claimId, claimId("Support hours are 9 to 5.", ClaimStatus.SUPPORTED, [ID_A, ID_B]));
  t.is(second?.status, ClaimStatus.SUPPORTED);
  t.is(proposal.claimMap.terminalMode, TerminalMode.SUPPORTED);
  t.is(proposal.claimMap.coverageThreshold, 0.95);
  t.is(proposal.claimMap.coverageObserved, 1);
  t.is(proposal.claimMap.claimMapId, "01J00000000000000000000000");
  t.is(proposal.claimMap.authorship?.generator, "pecr-controller/extractive@1");
});

test("no claims: the canned text of the mode is the answer and one UNKNOWN claim", (t) => {
  const proposal = buildProposal({ claims: [], mode: TerminalMode.INSUFFICIENT_PERMISSION, claimMapId: "x", authorship });
  t.is(proposal.responseText, "UNKNOWN: insufficient permission to access required evidence.");
  t.is(proposal.claimMap.claims.length, 1);
  t.like(proposal.claimMap.claims[0], {
    claimText: "insufficient permission to access required evidence.",
    status: ClaimStatus.UNKNOWN,
    evidenceUnitIds: [],
  });
  t.is(proposal.claimMap.coverageObserved, 0);
});

test("canned texts match the original's", (t) => {
  t.is(cannedText(TerminalMode.INSUFFICIENT_EVIDENCE), "UNKNOWN: insufficient evidence to answer the query.");
  t.is(cannedText(TerminalMode.SOURCE_UNAVAILABLE), "UNKNOWN: required sources were unavailable within budget.");
  t.is(cannedText(TerminalMode.SUPPORTED), "UNKNOWN: supported mode not implemented yet.");
  t.is(cannedText(TerminalMode.UNSPECIFIED), "UNKNOWN: insufficient evidence to answer the query.");
});

test("the proposed mode: error hint, else budget stop, else supported claims", (t) => {
  const supported = [{ text: "x", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [ID_A] }];
  const uncited = [{ text: "x", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [] }];
  t.is(proposedTerminalMode(supported, { errorHint: TerminalMode.INSUFFICIENT_PERMISSION, budgetViolation: false }), TerminalMode.INSUFFICIENT_PERMISSION);
  t.is(proposedTerminalMode(supported, { errorHint: undefined, budgetViolation: true }), TerminalMode.INSUFFICIENT_EVIDENCE);
  t.is(proposedTerminalMode(supported, { errorHint: undefined, budgetViolation: false }), TerminalMode.SUPPORTED);
  t.is(proposedTerminalMode(uncited, { errorHint: undefined, budgetViolation: false }), TerminalMode.INSUFFICIENT_EVIDENCE);
  t.is(proposedTerminalMode([], { errorHint: undefined, budgetViolation: false }), TerminalMode.INSUFFICIENT_EVIDENCE);
});

test("claims that cannot be sent (empty, multi-line, too long) are dropped", (t) => {
  const proposal = buildProposal({
    claims: [
      { text: "   ", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [ID_A] },
      { text: "two\nlines", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [ID_A] },
      { text: "y".repeat(4097), status: ClaimStatus.SUPPORTED, evidenceUnitIds: [ID_A] },
      { text: "kept", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [ID_A] },
    ],
    mode: TerminalMode.SUPPORTED,
    claimMapId: "x",
    authorship,
  });
  t.deepEqual(proposal.claimMap.claims.map((claim) => claim.claimText), ["kept"]);
});
