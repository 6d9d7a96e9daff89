/**
 * Staleness (reference §8.1 suites 5 and 6, with DESIGN.md §7's persistent time-correctness): a session's as_of
 * time selects the document and row versions it reads — also through the controller, and also after the gateway
 * restarts on the same data, when the disk and the table only hold the newer version. Markers of newer versions
 * never reach the logs. Own stack per backend: the restart would disturb other suites.
 */
import anyTest, { type TestFn } from "ava";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openTestSession } from "../support/gateway-sessions.js";
import { type Stack, startStack } from "../support/stack-harness.js";
import { forEachBackend } from "./support/backends.js";
import { found } from "./support/canaries.js";
import { assertLedgerVerifies } from "./support/ledger-audit.js";

const test = anyTest as TestFn;
const T1 = "2026-01-01T00:00:00Z";
const T2 = "2026-02-01T00:00:00Z";
const OBJECT_ID = "public/public_1.txt";
const CUSTOMER = "cust_public_1";

forEachBackend(test, "staleness suite", ({ backend, prefix }) => {
  let stack: Stack | undefined;
  test.before(async () => {
    stack = await startStack({ backend });
  });
  test.after.always(async () => {
    await stack?.close();
  });

  test.serial(`${prefix}staleness: fs and pg reads follow the session's as_of time, also after a gateway restart`, async (t) => {
    const s = stack!;
    const marker = `PECR_STALENESS_V2_MARKER_${process.pid}_${backend}`;
    const rowMarker = `PECR_STALENESS_ROW_MARKER_${process.pid}_${backend}`;
    const read = async (asOf: string) => {
      const dev = s.gateway("dev");
      const session = await openTestSession(dev, { asOf });
      const versions = (await dev.listVersions({ sessionId: session.sessionId, params: { objectId: OBJECT_ID } }, session.options)).versions;
      const span = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: OBJECT_ID } }, session.options)).evidenceUnit!;
      const row = (
        await dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", fields: ["status"], filterSpec: { customer_id: CUSTOMER } } }, session.options)
      ).evidenceUnits[0]!;
      return { versions, span, text: span.content.case === "text" ? span.content.value : "", row };
    };

    const v1 = await read(T1);
    t.is(v1.versions.length, 1);
    t.true(v1.text.includes("Public fixture document (public_1)."));
    t.false(v1.text.includes(marker));
    t.deepEqual(v1.row.content.value, { status: "active" });

    const path = join(s.corpusDir, OBJECT_ID);
    writeFileSync(path, `${readFileSync(path, "utf8")}\n\n${marker}\n`);
    // The gateway's own database handle: the fixture table lives beside the ledger on both backends.
    await s.gatewayApp.deps.ledger.db.sql`UPDATE pecr_fixture_customers SET status = ${rowMarker}, updated_at = ${T2} WHERE tenant_id = 'local' AND customer_id = ${CUSTOMER}`;

    const v2 = await read(T2);
    t.true(v2.versions.length >= 2);
    t.true(v2.versions.some((version) => version.versionId === v1.span.versionId));
    t.not(v2.span.versionId, v1.span.versionId);
    t.true(v2.text.includes(marker));
    t.deepEqual(v2.row.content.value, { status: rowMarker });
    t.not(v2.row.versionId, v1.row.versionId);

    const again = await read(T1);
    t.is(again.span.versionId, v1.span.versionId);
    t.false(again.text.includes(marker));
    t.is(again.row.versionId, v1.row.versionId);
    t.deepEqual(again.row.content.value, { status: "active" });

    // The disk and the table now hold only v2; v1 must come from the ledger's version store.
    await s.restartGateway();
    const restarted = await read(T1);
    t.is(restarted.versions.length, 1);
    t.is(restarted.span.versionId, v1.span.versionId);
    t.is(restarted.text, v1.text);
    t.is(restarted.row.versionId, v1.row.versionId);
    t.deepEqual(restarted.row.content.value, { status: "active" });
    const later = await read(T2);
    t.is(later.span.versionId, v2.span.versionId);
    t.deepEqual(later.row.content.value, { status: rowMarker });

    // Through the controller after the restart: a run at t1 cites v1 only.
    const run = await s.controller.client("dev").run({ query: "Which document is safe to disclose to any principal?", asOfTime: { seconds: BigInt(Date.parse(T1) / 1000), nanos: 0 } });
    t.true(run.responseText.length > 0);
    t.false(run.responseText.includes(marker));
    const cited = run.citedEvidence.filter((ref) => ref.objectId === OBJECT_ID);
    t.true(cited.length > 0, run.responseText);
    for (const ref of cited) t.is(ref.versionId, v1.span.versionId);

    t.deepEqual(found([...s.gatewayLogs, ...s.controller.logs].join("\n"), [marker, rowMarker]), []);
    await assertLedgerVerifies(t, s.gateway("auditor"));
  });
});
