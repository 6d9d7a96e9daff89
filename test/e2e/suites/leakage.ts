/**
 * Leakage role matrix (reference §8.1 suite 2, with DESIGN.md's policy-filtered search): every principal tries
 * every read path to every planted canary, directly and through the controller. A canary reaches exactly the
 * principals allowed to read it — never anyone else, not in a result, an error, a search ref or a stream event —
 * and never a log line or /metrics. No LEAK_DETECTED event is written on the way.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { DEFAULT_BUDGET, openTestSession } from "../../support/gateway-sessions.js";
import type { Stack } from "../../support/stack-harness.js";
import { CANARIES, CANARY_PG_SUPPORT_1, CANARY_RESTRICTED_ALPHA, TELEMETRY_SECRETS, found, jsonOf } from "../support/canaries.js";
import type { CoreSuite } from "../support/core-stack.js";
import { allEvents } from "../support/ledger-audit.js";

const PRINCIPALS = ["dev", "analyst", "support", "auditor", "guest"] as const;
const DOCUMENTS = ["restricted/restricted_1.txt", "restricted/incident_2026_01.txt", "injection/injection_1.txt", "public/public_1.txt"];
const VIEWS: readonly { viewId: string; fields: string[] }[] = [
  { viewId: "safe_customer_view_admin", fields: ["admin_note", "status"] },
  { viewId: "safe_customer_view_support", fields: ["support_note", "status"] },
  { viewId: "safe_customer_view_injection", fields: ["injection_note"] },
  { viewId: "safe_customer_view_public", fields: ["status", "plan_tier"] },
];

/** What one principal got back from every read path: text of results and errors, and the errors' codes. */
interface Harvest {
  readonly text: string[];
  readonly denials: Map<string, { code: Code; hint: TerminalMode | undefined }>;
  readonly traceIds: string[];
}

async function harvest(stack: Stack, principal: string): Promise<Harvest> {
  const client = stack.gateway(principal);
  // Enough calls for every read path: a budget refusal would hide the policy decision under test.
  const session = await openTestSession(client, { budget: { ...DEFAULT_BUDGET, maxOperatorCalls: 100 } });
  const result: Harvest = { text: [], denials: new Map(), traceIds: [session.traceId] };
  const attempt = async (name: string, call: () => Promise<unknown>) => {
    try {
      result.text.push(jsonOf(await call()));
    } catch (error) {
      const connectError = ConnectError.from(error);
      result.text.push(connectError.rawMessage, jsonOf(findErrorDetail(connectError) ?? null), jsonOf(connectError.metadata));
      result.denials.set(name, { code: connectError.code, hint: findErrorDetail(connectError)?.terminalModeHint });
    }
  };
  const { sessionId, options } = session;
  for (const objectId of DOCUMENTS) {
    await attempt(`fetch_span ${objectId}`, () => client.fetchSpan({ sessionId, params: { objectId } }, options));
    await attempt(`list_versions ${objectId}`, () => client.listVersions({ sessionId, params: { objectId } }, options));
  }
  for (const view of VIEWS) {
    await attempt(`fetch_rows ${view.viewId}`, () => client.fetchRows({ sessionId, params: view }, options));
  }
  for (const query of [...CANARIES.map((canary) => canary.value), "fixture document", "Canary"]) {
    await attempt(`search ${query}`, () => client.search({ sessionId, params: { query, limit: 50 } }, options));
  }
  await attempt("aggregate", () =>
    client.aggregate({ sessionId, params: { viewId: "safe_customer_view_admin", groupBy: ["status"], metrics: [{ name: "count", field: "customer_id" }] } }, options),
  );
  // The same questions through the controller, unary and streamed.
  const controller = stack.controller.client(principal);
  for (const query of ["What does the restricted fixture document say? Canary", "What is the admin note of cust_public_1?"]) {
    await attempt(`run ${query}`, async () => {
      const run = await controller.run({ query });
      result.traceIds.push(run.traceId);
      return run;
    });
    await attempt(`run_stream ${query}`, async () => {
      const events: unknown[] = [];
      for await (const event of controller.runStream({ query })) events.push(event);
      return events;
    });
  }
  return result;
}

/** Registers the leakage suite. */
export const registerLeakageSuite: CoreSuite = (test, { prefix }, core) => {
  test.serial(`${prefix}leakage: each canary reaches exactly the principals the policy lets read it, through every read path`, async (t) => {
    const { stack } = core();
    const harvests = new Map<string, Harvest>();
    for (const principal of PRINCIPALS) harvests.set(principal, await harvest(stack, principal));
    for (const principal of PRINCIPALS) {
      const text = harvests.get(principal)!.text.join("\n");
      for (const canary of CANARIES) {
        const allowed = canary.readers.includes(principal);
        t.is(text.includes(canary.value), allowed, `${principal} ${allowed ? "could not read" : "read"} ${canary.source} (${canary.value})`);
      }
    }
    const support = harvests.get("support")!.denials;
    t.deepEqual(support.get("fetch_span restricted/restricted_1.txt"), { code: Code.PermissionDenied, hint: TerminalMode.INSUFFICIENT_PERMISSION });
    t.deepEqual(support.get("fetch_rows safe_customer_view_admin"), { code: Code.PermissionDenied, hint: TerminalMode.INSUFFICIENT_PERMISSION });
    t.false(support.has("fetch_rows safe_customer_view_support"));
    t.deepEqual(harvests.get("guest")!.denials.get("search fixture document"), { code: Code.PermissionDenied, hint: TerminalMode.INSUFFICIENT_PERMISSION });
    t.true(harvests.get("auditor")!.denials.has("fetch_span public/public_1.txt"), "auditors read the ledger, not sources");

    const auditor = stack.gateway("auditor");
    for (const [principal, { traceIds }] of harvests) {
      for (const traceId of traceIds) {
        const leaks = (await allEvents(auditor, { traceId })).filter((record) => record.event?.payload.case === "leakDetected");
        t.is(leaks.length, 0, `LEAK_DETECTED in ${principal}'s trace`);
      }
    }
    const telemetry = [stack.gatewayLogs.join("\n"), stack.controller.logs.join("\n"), await stack.metrics("gateway"), await stack.metrics("controller")].join("\n");
    t.deepEqual(found(telemetry, TELEMETRY_SECRETS), []);
  });

  test(`${prefix}leakage: support reads its own view and public documents, while a denied read's error carries no canary`, async (t) => {
    const { stack } = core();
    const support = stack.gateway("support");
    const session = await openTestSession(support);
    const rows = await support.fetchRows(
      { sessionId: session.sessionId, params: { viewId: "safe_customer_view_support", fields: ["support_note"], filterSpec: { customer_id: "cust_public_1" } } },
      session.options,
    );
    t.deepEqual(rows.evidenceUnits[0]?.content.value, { support_note: CANARY_PG_SUPPORT_1 });
    const response = await fetch(`${stack.gatewayUrl}/pecr.gateway.v1.GatewayService/FetchSpan`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-pecr-principal-id": "support", ...session.options.headers },
      body: JSON.stringify({ sessionId: session.sessionId, params: { objectId: "restricted/restricted_1.txt" } }),
    });
    t.is(response.status, 403);
    const body = await response.text();
    t.false(body.includes(CANARY_RESTRICTED_ALPHA));
    t.like(JSON.parse(body), { code: "permission_denied", message: "policy denied" });
  });
};
