/**
 * Claim↔evidence (reference §8.1 suite 7, with DESIGN.md's gate): SUPPORTED needs evidence emitted in this very
 * session — uncited claims are downgraded, citing another session's evidence is refused — and raw evidence ids
 * never reach the logs.
 */
import { Code } from "@connectrpc/connect";
import { ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { failure, openTestSession } from "../../support/gateway-sessions.js";
import type { CoreSuite } from "../support/core-stack.js";
import { allEvents } from "../support/ledger-audit.js";

const CLAIM = "Public fixture document (public_1).";

/** Registers the claim↔evidence suite. */
export const registerClaimEvidenceSuite: CoreSuite = (test, { prefix }, core) => {
  test(`${prefix}claim-evidence: a SUPPORTED claim citing this session's evidence finalizes SUPPORTED; an uncited one is downgraded`, async (t) => {
    const { stack } = core();
    const dev = stack.gateway("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    const done = await dev.finalize(
      {
        sessionId: session.sessionId,
        responseText: CLAIM,
        claimMap: { terminalMode: TerminalMode.SUPPORTED, claims: [{ claimText: CLAIM, status: ClaimStatus.SUPPORTED, evidenceUnitIds: [unit.evidenceUnitId] }] },
      },
      session.options,
    );
    t.is(done.terminalMode, TerminalMode.SUPPORTED);
    t.true((done.claimMap?.coverageObserved ?? 0) >= (done.claimMap?.coverageThreshold ?? 1));
    t.regex(done.claimMap?.claims[0]?.claimId ?? "", /^[0-9a-f]{64}$/);

    const uncited = await openTestSession(dev);
    const downgraded = await dev.finalize(
      { sessionId: uncited.sessionId, claimMap: { terminalMode: TerminalMode.SUPPORTED, claims: [{ claimText: CLAIM, status: ClaimStatus.SUPPORTED, evidenceUnitIds: [] }] } },
      uncited.options,
    );
    t.is(downgraded.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    const logs = stack.gatewayLogs.join("\n") + stack.controller.logs.join("\n");
    t.false(logs.includes(unit.evidenceUnitId), "a raw evidence id reached the logs");
  });

  test(`${prefix}claim-evidence: citing evidence another session emitted is refused, for the same and for another principal`, async (t) => {
    const { stack } = core();
    const dev = stack.gateway("dev");
    const owner = await openTestSession(dev, { asOf: "2026-01-01T00:00:00Z" });
    const unit = (await dev.fetchSpan({ sessionId: owner.sessionId, params: { objectId: "public/public_1.txt" } }, owner.options)).evidenceUnit!;
    const claimMap = { terminalMode: TerminalMode.SUPPORTED, claims: [{ claimText: CLAIM, status: ClaimStatus.SUPPORTED, evidenceUnitIds: [unit.evidenceUnitId] }] };
    const sibling = await openTestSession(dev, { asOf: "2026-01-01T00:00:00Z" });
    t.like(await failure(dev.finalize({ sessionId: sibling.sessionId, claimMap }, sibling.options)), {
      code: Code.InvalidArgument,
      message: "claim references evidence not emitted in this trace",
      detail: "ERR_INVALID_PARAMS",
    });
    const support = stack.gateway("support");
    const stranger = await openTestSession(support);
    t.like(await failure(support.finalize({ sessionId: stranger.sessionId, claimMap }, stranger.options)), { code: Code.InvalidArgument });
    t.false(stack.gatewayLogs.join("\n").includes(unit.evidenceUnitId));
  });

  test.serial(`${prefix}claim-evidence: every claim of a controller run cites evidence its session emitted, and the ledger records the gate`, async (t) => {
    const { stack } = core();
    const run = await stack.controller.client("dev").run({ query: "When are invoices issued and can annual plans be refunded?" });
    const events = await allEvents(stack.gateway("auditor"), { sessionId: run.sessionId });
    const emitted = new Set(events.flatMap((record) => (record.event?.payload.case === "evidenceEmitted" ? [record.event.payload.value.evidenceUnitId] : [])));
    const supported = (run.claimMap?.claims ?? []).filter((claim) => claim.status === ClaimStatus.SUPPORTED);
    t.true(supported.length > 0, run.responseText);
    for (const claim of supported) t.true(claim.evidenceUnitIds.length > 0 && claim.evidenceUnitIds.every((id) => emitted.has(id)));
    const finalize = events.at(-1)?.event?.payload;
    t.is(finalize?.case, "finalizeResult");
    if (finalize?.case === "finalizeResult") {
      t.is(finalize.value.terminalMode, run.terminalMode);
      t.is(finalize.value.claimsCitingEvidence, supported.length);
    }
    const logs = stack.gatewayLogs.join("\n") + stack.controller.logs.join("\n");
    for (const id of emitted) t.false(logs.includes(id), "a raw evidence id reached the logs");
  });
};
