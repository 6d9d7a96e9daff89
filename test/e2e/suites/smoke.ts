/**
 * Smoke (reference §8.1 suite 1, over RPCs): the controller runs a question end to end with both planners, and
 * a direct gateway session exercises every read operator (list_versions, diff, search, fetch_span, fetch_rows,
 * aggregate) and finalize.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import { ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { evidenceUnitId, sourceVersionId } from "#core/canonical/identities.js";
import { openTestSession } from "../../support/gateway-sessions.js";
import { CANARY_PG_ADMIN_1, CANARY_PG_ADMIN_2, CANARY_RESTRICTED_ALPHA, TELEMETRY_SECRETS, found } from "../support/canaries.js";
import type { CoreSuite } from "../support/core-stack.js";
import { allEvents, eventType } from "../support/ledger-audit.js";

const SUPPORT_HOURS = "Support hours are 09:00 to 17:00 UTC, Monday to Friday.";

/** Registers the smoke suite. */
export const registerSmokeSuite: CoreSuite = (test, { prefix }, core) => {
  test.serial(`${prefix}smoke: Run as dev with the mock planner calls the gateway and ends INSUFFICIENT_EVIDENCE`, async (t) => {
    const { stack, mock } = core();
    const run = await mock.client("dev").run({ query: "smoke" });
    t.is(run.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    t.is(run.stats?.stopReason, StopReason.PLAN_COMPLETE);
    t.true((run.stats?.operatorCallsUsed ?? 0n) >= 3n);
    t.regex(run.sessionId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    const types = (await allEvents(stack.gateway("auditor"), { sessionId: run.sessionId })).map((record) => eventType(record.event));
    t.true(types.includes("SESSION_CREATED"));
    t.true(types.includes("OPERATOR_CALL"));
    t.is(types.at(-1), "FINALIZE_RESULT");
    // The run's trace id reached the gateway's logs with request ids; no secret did.
    const gatewayLines = stack.gatewayLogs.map((line) => JSON.parse(line) as Record<string, unknown>);
    t.true(gatewayLines.some((line) => line.trace_id === run.traceId && typeof line.request_id === "string" && line.request_id !== ""));
    t.deepEqual(found(stack.gatewayLogs.join("\n") + mock.logs.join("\n"), TELEMETRY_SECRETS), []);
  });

  test.serial(`${prefix}smoke: Run as dev with the extractive planner answers SUPPORTED, citing evidence of its own session`, async (t) => {
    const { stack } = core();
    const run = await stack.controller.client("dev").run({ query: "What are the support hours?" });
    t.is(run.terminalMode, TerminalMode.SUPPORTED);
    t.true(run.responseText.includes(SUPPORT_HOURS), run.responseText);
    t.is(run.stats?.stopReason, StopReason.PLAN_COMPLETE);
    const claims = run.claimMap?.claims ?? [];
    t.true(claims.length > 0);
    t.true((run.claimMap?.coverageObserved ?? 0) >= (run.claimMap?.coverageThreshold ?? 1));
    const emitted = new Set(
      (await allEvents(stack.gateway("auditor"), { sessionId: run.sessionId })).flatMap((record) =>
        record.event?.payload.case === "evidenceEmitted" ? [record.event.payload.value.evidenceUnitId] : [],
      ),
    );
    for (const claim of claims.filter((c) => c.status === ClaimStatus.SUPPORTED)) {
      t.true(claim.evidenceUnitIds.length > 0);
      for (const id of claim.evidenceUnitIds) t.true(emitted.has(id), "a claim cites evidence its session did not emit");
    }
    t.deepEqual(new Set(run.citedEvidence.map((ref) => ref.evidenceUnitId)), new Set(claims.flatMap((c) => c.evidenceUnitIds)));
  });

  test(`${prefix}smoke: a question about a document is answered from it for a reader, and not from other documents for anyone else`, async (t) => {
    const { stack } = core();
    const question = "What does the restricted fixture document say?";
    const dev = await stack.controller.client("dev").run({ query: question });
    t.is(dev.terminalMode, TerminalMode.SUPPORTED);
    t.true(dev.claimMap!.claims.length > 0);
    for (const claim of dev.claimMap!.claims) t.regex(claim.claimText, /restricted/i);
    t.true(dev.citedEvidence.every((ref) => ref.objectId.startsWith("restricted/")), JSON.stringify(dev.citedEvidence.map((ref) => ref.objectId)));
    // support may not read it. The documents support reads are "fixture documents" too, but sharing those words
    // with the question does not make their sentences an answer to it.
    const support = await stack.controller.client("support").run({ query: question });
    t.not(support.terminalMode, TerminalMode.SUPPORTED);
    t.deepEqual(support.claimMap?.claims.filter((claim) => claim.status === ClaimStatus.SUPPORTED) ?? [], []);
  });

  // Serial (ava runs a file's serial tests before its concurrent ones): every search scans, and so observes, each
  // readable document of the shared corpus at its session's as_of, so a concurrent search at the present as_of could
  // observe this test's new document before its fixed-as_of sessions do.
  test.serial(`${prefix}smoke: direct gateway list_versions and diff follow the corpus file by file`, async (t) => {
    const { stack } = core();
    const dev = stack.gateway("dev");
    const session = await openTestSession(dev);
    for (const objectId of ["restricted/restricted_1.txt", "injection/injection_1.txt"]) {
      const versions = (await dev.listVersions({ sessionId: session.sessionId, params: { objectId } }, session.options)).versions;
      t.is(versions[0]?.versionId, sourceVersionId(readFileSync(join(stack.corpusDir, objectId))), objectId);
    }
    // A document of its own, read at fixed as_of times: each version's first observation is stamped with the
    // observing session's as_of.
    const objectId = `public/smoke_diff_${process.pid}_${Date.now()}.txt`;
    writeFileSync(join(stack.corpusDir, objectId), "Smoke diff document, version one.\n");
    const first = await openTestSession(dev, { asOf: "2026-06-01T00:00:00Z" });
    const v1 = (await dev.listVersions({ sessionId: first.sessionId, params: { objectId } }, first.options)).versions;
    t.is(v1.length, 1);
    appendFileSync(join(stack.corpusDir, objectId), "\nDIFF_MARKER_ALPHA\n");
    const later = await openTestSession(dev, { asOf: "2026-06-02T00:00:00Z" });
    const both = (await dev.listVersions({ sessionId: later.sessionId, params: { objectId } }, later.options)).versions;
    t.is(both.length, 2);
    t.is(both[0]?.versionId, v1[0]?.versionId);
    const v2 = both[1]!.versionId;
    const diff = (await dev.diff({ sessionId: later.sessionId, params: { objectId, v1: v1[0]!.versionId, v2 } }, later.options)).evidenceUnit!;
    t.is(diff.versionId, v2);
    t.true(diff.content.case === "text" && diff.content.value.includes("DIFF_MARKER_ALPHA"));
    t.is(diff.evidenceUnitId, evidenceUnitId(diff));
  });

  test(`${prefix}smoke: direct gateway search, fetch_span, fetch_rows and aggregate return evidence; finalize closes the session`, async (t) => {
    const { stack } = core();
    const dev = stack.gateway("dev");
    const session = await openTestSession(dev);
    const refs = (await dev.search({ sessionId: session.sessionId, params: { query: CANARY_RESTRICTED_ALPHA, limit: 5 } }, session.options)).refs;
    t.true(refs.some((ref) => ref.objectId === "restricted/restricted_1.txt"));
    const span = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "restricted/restricted_1.txt" } }, session.options)).evidenceUnit!;
    t.regex(span.evidenceUnitId, /^[0-9a-f]{64}$/);
    t.true(span.content.case === "text" && span.content.value.includes(CANARY_RESTRICTED_ALPHA));
    const rows = (await dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note"] } }, session.options)).evidenceUnits;
    t.true(rows.length > 0);
    for (const row of rows) {
      t.is(row.spanOrRowSpec?.spec.case, "dbRow");
      t.true(row.content.case === "json" && [CANARY_PG_ADMIN_1, CANARY_PG_ADMIN_2].includes(String(row.content.value.admin_note)));
    }
    const aggregate = (
      await dev.aggregate(
        { sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", groupBy: ["plan_tier"], metrics: [{ name: "count", field: "customer_id" }] } },
        session.options,
      )
    ).evidenceUnit!;
    t.is(aggregate.spanOrRowSpec?.spec.case, "dbAggregate");
    const spec = aggregate.spanOrRowSpec?.spec.value as { filterFingerprint: string };
    t.regex(spec.filterFingerprint, /^[0-9a-f]{64}$/);
    const groups = (aggregate.content.value as { rows: { group: { plan_tier: string }; metrics: { value: number }[] }[] }).rows;
    t.is(groups.find((row) => row.group.plan_tier === "free")?.metrics[0]?.value, 1);
    t.is(groups.find((row) => row.group.plan_tier === "enterprise")?.metrics[0]?.value, 1);
    const done = await dev.finalize({ sessionId: session.sessionId, claimMap: { terminalMode: TerminalMode.INSUFFICIENT_EVIDENCE, claims: [] } }, session.options);
    t.is(done.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    t.is(done.traceId, session.traceId);
  });
};
