import test from "ava";
import { create } from "@bufbuild/protobuf";
import { BudgetSchema, BudgetUsageSchema } from "#gen/pecr/v1/budget_pb.js";
import { ClaimMapSchema, ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { claimId } from "#core/canonical/identities.js";
import { PecrError } from "#core/errors/pecr-error.js";
import { finalizeGate } from "./finalize-gate.js";

const e1 = "1".repeat(64);
const e2 = "2".repeat(64);
const budget = create(BudgetSchema, { maxOperatorCalls: 10, maxBytes: 1_000_000n });
const usage = create(BudgetUsageSchema, { operatorCallsUsed: 2n, bytesUsed: 500n });

function gate(claims: { text: string; status: ClaimStatus; ids: string[] }[], proposed = TerminalMode.SUPPORTED, extra: Partial<Parameters<typeof finalizeGate>[0]> = {}) {
  return finalizeGate({
    claimMap: create(ClaimMapSchema, {
      claimMapId: "cm",
      terminalMode: proposed,
      coverageThreshold: 0.1,
      claims: claims.map((claim) => ({ claimId: "", claimText: claim.text, status: claim.status, evidenceUnitIds: claim.ids })),
    }),
    emittedEvidence: new Set([e1, e2]),
    coverageThreshold: 0.95,
    budget,
    usage,
    ...extra,
  });
}

test("a supported claim citing evidence emitted in this session passes, with recomputed id and the configured threshold", (t) => {
  const result = gate([{ text: "  Fact one.  ", status: ClaimStatus.SUPPORTED, ids: [e2, e1, e1] }]);
  t.is(result.terminalMode, TerminalMode.SUPPORTED);
  t.is(result.claimMap.coverageThreshold, 0.95);
  t.is(result.claimMap.coverageObserved, 1);
  const claim = result.claimMap.claims[0]!;
  t.deepEqual(claim.evidenceUnitIds, [e1, e2]);
  t.is(claim.claimText, "Fact one.");
  t.is(claim.claimId, claimId("Fact one.", ClaimStatus.SUPPORTED, [e1, e2]));
});

test("a supported claim without evidence is downgraded to UNKNOWN and coverage counts it as missing", (t) => {
  const result = gate([
    { text: "Cited.", status: ClaimStatus.SUPPORTED, ids: [e1] },
    { text: "Uncited.", status: ClaimStatus.SUPPORTED, ids: [] },
  ]);
  t.is(result.claimMap.claims[1]?.status, ClaimStatus.UNKNOWN);
  t.is(result.claimMap.coverageObserved, 0.5);
  t.is(result.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
});

test("the gate only downgrades: a proposed permission or source problem survives, nothing is upgraded", (t) => {
  const cited = [{ text: "Cited.", status: ClaimStatus.SUPPORTED, ids: [e1] }];
  t.is(gate(cited, TerminalMode.INSUFFICIENT_PERMISSION).terminalMode, TerminalMode.INSUFFICIENT_PERMISSION);
  t.is(gate(cited, TerminalMode.SOURCE_UNAVAILABLE).terminalMode, TerminalMode.SOURCE_UNAVAILABLE);
  t.is(gate(cited, TerminalMode.INSUFFICIENT_EVIDENCE).terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  t.is(gate(cited, TerminalMode.UNSPECIFIED).terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  t.is(gate([], TerminalMode.SUPPORTED).terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
});

test("a budget violation prevents SUPPORTED", (t) => {
  const over = create(BudgetUsageSchema, { operatorCallsUsed: 11n, bytesUsed: 0n });
  t.is(gate([{ text: "Cited.", status: ClaimStatus.SUPPORTED, ids: [e1] }], TerminalMode.SUPPORTED, { usage: over }).terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
});

test("malformed claims are rejected with fixed messages", (t) => {
  const cases: [Parameters<typeof gate>[0], string][] = [
    [[{ text: "   ", status: ClaimStatus.SUPPORTED, ids: [] }], "claim.claim_text must be non-empty"],
    [[{ text: "x", status: ClaimStatus.SUPPORTED, ids: ["not-hex"] }], "claim.evidence_unit_ids must be sha256 hex"],
    [[{ text: "x", status: ClaimStatus.SUPPORTED, ids: ["3".repeat(64)] }], "claim references evidence not emitted in this trace"],
    [[{ text: "x", status: ClaimStatus.UNSPECIFIED, ids: [] }], "claim.status must be SUPPORTED, ASSUMPTION or UNKNOWN"],
  ];
  for (const [claims, message] of cases) {
    const error = t.throws(() => gate(claims));
    t.true(error instanceof PecrError && error.code === "ERR_INVALID_PARAMS");
    t.is(error?.message, message);
  }
});
