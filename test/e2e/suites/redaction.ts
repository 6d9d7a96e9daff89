/**
 * Redaction (reference §8.1 suite 4): a principal whose decision carries a redaction directive gets rows without
 * the denied field — in the content, in the row spec's field list — with the redaction recorded in the transform
 * chain, and every hash (content, evidence id, the ledger's stored copy) is computed after redaction.
 */
import { contentHash, evidenceUnitId } from "#core/canonical/identities.js";
import { openTestSession } from "../../support/gateway-sessions.js";
import { CANARY_PG_ADMIN_1, CANARY_PG_ADMIN_2, found, jsonOf } from "../support/canaries.js";
import type { CoreSuite } from "../support/core-stack.js";

/** Registers the redaction suite. */
export const registerRedactionSuite: CoreSuite = (test, { prefix }, core) => {
  test(`${prefix}redaction: analyst rows of the admin view lack admin_note, record the redaction and hash after it`, async (t) => {
    const { stack } = core();
    const analyst = stack.gateway("analyst");
    const session = await openTestSession(analyst);
    const units = (await analyst.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note"] } }, session.options)).evidenceUnits;
    t.true(units.length > 0);
    for (const unit of units) {
      t.is(unit.content.case, "json");
      t.false(unit.content.case === "json" && "admin_note" in unit.content.value);
      t.like(unit.spanOrRowSpec?.spec, { case: "dbRow", value: { fields: [] } });
      const step = unit.transformChain.find((entry) => entry.transformType === "redaction");
      t.truthy(step, "no redaction step in the transform chain");
      t.deepEqual(step?.params.case === "redaction" ? step.params.value.denyFields : [], ["admin_note"]);
      t.is(unit.contentHash, contentHash(unit.content as Parameters<typeof contentHash>[0]));
      t.is(unit.evidenceUnitId, evidenceUnitId(unit));
    }
    t.deepEqual(found(jsonOf(units), [CANARY_PG_ADMIN_1, CANARY_PG_ADMIN_2]), []);
    // The ledger stored the redacted unit (same content hash), never the admin note.
    const stored = await stack.gateway("auditor").getEvidence({ evidenceUnitIds: units.map((unit) => unit.evidenceUnitId) });
    t.deepEqual(stored.evidenceUnits.map((unit) => unit.contentHash).sort(), units.map((unit) => unit.contentHash).sort());
    t.deepEqual(found(jsonOf(stored), [CANARY_PG_ADMIN_1, CANARY_PG_ADMIN_2]), []);
  });

  test(`${prefix}redaction: the same row read by dev and by analyst are different evidence units`, async (t) => {
    const { stack } = core();
    const read = async (principal: string) => {
      const client = stack.gateway(principal);
      const session = await openTestSession(client, { asOf: "2026-03-01T00:00:00Z" });
      const params = { viewId: "safe_customer_view_admin", fields: ["admin_note", "status"], filterSpec: { customer_id: "cust_public_1" } };
      return (await client.fetchRows({ sessionId: session.sessionId, params }, session.options)).evidenceUnits[0]!;
    };
    const [full, redacted] = [await read("dev"), await read("analyst")];
    t.deepEqual(full.content.value, { admin_note: CANARY_PG_ADMIN_1, status: "active" });
    t.deepEqual(redacted.content.value, { status: "active" });
    t.not(full.contentHash, redacted.contentHash);
    t.not(full.evidenceUnitId, redacted.evidenceUnitId);
  });
};
