import test from "ava";
import { ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { startGatewayHarness } from "../../support/gateway-harness.js";

test("a session fetches a span, finalizes SUPPORTED with a claim citing it, and the ledger verifies", async (t) => {
  const harness = await startGatewayHarness();
  t.teardown(() => harness.close());
  const dev = harness.client("dev");
  let token = "";
  const session = await dev.createSession(
    { budget: { maxOperatorCalls: 10, maxBytes: 1_000_000n, maxWallclockMs: 10_000n, maxRecursionDepth: 5 }, asOfTime: { seconds: 1767225600n, nanos: 0 } },
    { onHeader: (headers) => (token = headers.get("x-pecr-session-token") ?? "") },
  );
  t.regex(token, /^[A-Za-z0-9_-]{43}$/);
  const headers = { "x-pecr-session-token": token };
  const span = await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, { headers });
  const unit = span.evidenceUnit!;
  t.regex(unit.evidenceUnitId, /^[0-9a-f]{64}$/);
  t.true(unit.content.case === "text" && unit.content.value.startsWith("Public fixture document (public_1)."));
  const search = await dev.search({ sessionId: session.sessionId, params: { query: "Public fixture" } }, { headers });
  t.is(search.refs.find((ref) => ref.objectId === "public/public_1.txt")?.evidenceUnitId, unit.evidenceUnitId);

  const finalized = await dev.finalize(
    {
      sessionId: session.sessionId,
      responseText: "Public fixture document (public_1).",
      claimMap: {
        terminalMode: TerminalMode.SUPPORTED,
        claims: [{ claimText: "Public fixture document (public_1).", status: ClaimStatus.SUPPORTED, evidenceUnitIds: [unit.evidenceUnitId] }],
      },
    },
    { headers },
  );
  t.is(finalized.terminalMode, TerminalMode.SUPPORTED);
  const verification = (await dev.verifyLedger({})).verification!;
  t.true(verification.ok, JSON.stringify(verification.firstBreak));
  t.true(verification.eventsVerified > 5n);
});
