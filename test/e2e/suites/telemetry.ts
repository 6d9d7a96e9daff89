/**
 * Telemetry leakage (reference §8.1 suite 9): after reading every kind of secret (restricted and injection
 * documents, admin and support notes) directly and through the controller, neither service's logs nor /metrics
 * contain a canary, a secret document line, a raw evidence id or a session token.
 */
import { openTestSession } from "../../support/gateway-sessions.js";
import { CANARY_INJECTION_BETA, CANARY_PG_ADMIN_1, CANARY_PG_SUPPORT_1, CANARY_RESTRICTED_ALPHA, TELEMETRY_SECRETS, found, jsonOf } from "../support/canaries.js";
import type { CoreSuite } from "../support/core-stack.js";

/** Registers the telemetry leakage suite. */
export const registerTelemetrySuite: CoreSuite = (test, { prefix }, core) => {
  test.serial(`${prefix}telemetry: logs and metrics of both services carry no canary, document text, evidence id or token`, async (t) => {
    const { stack } = core();
    const dev = stack.gateway("dev");
    const session = await openTestSession(dev);
    const spans = await Promise.all(
      ["restricted/restricted_1.txt", "injection/injection_1.txt"].map(
        async (objectId) => (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId } }, session.options)).evidenceUnit!,
      ),
    );
    const admin = await dev.fetchRows(
      { sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note"], filterSpec: { customer_id: "cust_public_1" } } },
      session.options,
    );
    const support = await dev.fetchRows(
      { sessionId: session.sessionId, params: { viewId: "safe_customer_view_support", fields: ["support_note"], filterSpec: { customer_id: "cust_public_1" } } },
      session.options,
    );
    const served = jsonOf([spans, admin, support]);
    for (const canary of [CANARY_RESTRICTED_ALPHA, CANARY_INJECTION_BETA, CANARY_PG_ADMIN_1, CANARY_PG_SUPPORT_1]) t.true(served.includes(canary), canary);
    // A controller run that reads and quotes restricted text.
    const events = [];
    for await (const event of stack.controller.client("dev").runStream({ query: "Restricted fixture document: who may read this document?" })) events.push(event);
    const run = events.at(-1)?.event.case === "result" ? events.at(-1)!.event.value : undefined;
    t.truthy(run);

    const evidenceIds = [...spans, ...admin.evidenceUnits, ...support.evidenceUnits].map((unit) => unit.evidenceUnitId);
    const telemetry = [stack.gatewayLogs.join("\n"), stack.controller.logs.join("\n"), await stack.metrics("gateway"), await stack.metrics("controller")].join("\n");
    t.deepEqual(found(telemetry, TELEMETRY_SECRETS), []);
    t.deepEqual(found(telemetry, evidenceIds), []);
    t.deepEqual(found(telemetry, [session.token]), []);
  });
};
