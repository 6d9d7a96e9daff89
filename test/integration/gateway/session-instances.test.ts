/**
 * One session called through two gateway instances on one Postgres ledger. An instance runs a call on the state
 * of the session it committed last, without taking the session lease; when the other instance changed the
 * session in between, that write is refused whole and the call runs again under the lease. So every call is
 * charged exactly once, budgets hold across instances, a lease held elsewhere is waited for, and the chain
 * verifies.
 */
import anyTest, { type TestFn } from "ava";
import { Code } from "@connectrpc/connect";
import { type GatewayHarness, startGatewayHarness } from "../../support/gateway-harness.js";
import { DEFAULT_BUDGET, failure, openTestSession } from "../../support/gateway-sessions.js";
import { counterValue } from "../../../scripts/perf/support/metric-counter.js";

const test = anyTest as TestFn<{ a: GatewayHarness; b: GatewayHarness }>;

/** Optimistic calls this instance ran again under the lease. */
async function conflicts(gateway: GatewayHarness): Promise<number> {
  const response = await fetch(`${gateway.url}/metrics`);
  return counterValue(await response.text(), "pecr_gateway_session_conflicts_total");
}

function fetchSpanOn(gateway: GatewayHarness, sessionId: string, options: { headers: Record<string, string> }) {
  return gateway.client("dev").fetchSpan({ sessionId, params: { objectId: "public/public_1.txt" } }, options);
}

if (!process.env.PECR_TEST_DB_URL) {
  test("two gateway instances on one ledger (set PECR_TEST_DB_URL)", (t) => t.fail("needs real Postgres: PECR_TEST_DB_URL"));
} else {
  test.before(async (t) => {
    const a = await startGatewayHarness({ backend: "postgres" });
    const b = await startGatewayHarness({ joining: a });
    t.context = { a, b };
  });
  test.after.always(async (t) => {
    await t.context.b?.close();
    await t.context.a?.close();
  });

  test.serial("alternating calls are each charged once, a stale instance runs its call again under the lease, and the budget holds across both", async (t) => {
    const { a, b } = t.context;
    const session = await openTestSession(a.client("dev"), { budget: { ...DEFAULT_BUDGET, maxOperatorCalls: 5 } });
    const before = { a: await conflicts(a), b: await conflicts(b) };
    const used: bigint[] = [];
    // a created the session: its state is current, no lease. b has none: lease. a is now stale: conflict, lease.
    for (const gateway of [a, b, a, a, b]) used.push((await fetchSpanOn(gateway, session.sessionId, session.options)).usage!.operatorCallsUsed);
    t.deepEqual(used, [1n, 2n, 3n, 4n, 5n]);
    t.is((await conflicts(a)) - before.a, 1, "a's third call found the session changed by b");
    t.is((await conflicts(b)) - before.b, 1, "b's second call found the session changed by a");
    // a's state says 4 of 5 calls: it runs, finds the session changed, and under the lease sees the budget spent.
    const refused = await failure(fetchSpanOn(a, session.sessionId, session.options));
    t.is(refused.code, Code.ResourceExhausted);
    t.is(refused.detail, "ERR_BUDGET_EXCEEDED");
    const runtime = async () =>
      (
        await a.sql!<{ operator_calls_used: string; runtime_version: string; lease_owner: string | null }[]>`
          SELECT operator_calls_used::text, runtime_version::text, lease_owner FROM pecr_session_runtime WHERE session_id = ${session.sessionId}`
      )[0];
    t.deepEqual(await runtime(), { operator_calls_used: "5", runtime_version: "5", lease_owner: null });
    // a's state is current again: the next refusal is written optimistically, checked against the version it read.
    const conflictsNow = await conflicts(a);
    t.is((await failure(fetchSpanOn(a, session.sessionId, session.options))).detail, "ERR_BUDGET_EXCEEDED");
    t.is(await conflicts(a), conflictsNow);
    t.deepEqual(await runtime(), { operator_calls_used: "5", runtime_version: "6", lease_owner: null });
    const verification = (await a.client("auditor").verifyLedger({})).verification!;
    t.true(verification.ok, JSON.stringify(verification.firstBreak));
  });

  test.serial("a call on a session whose lease another instance holds waits for it instead of writing past it", async (t) => {
    const { a } = t.context;
    const session = await openTestSession(a.client("dev"));
    t.is((await fetchSpanOn(a, session.sessionId, session.options)).usage!.operatorCallsUsed, 1n);
    // Another instance takes the lease (as b would at the start of a call) and gives it back 300 ms later.
    await a.sql!`UPDATE pecr_session_runtime SET lease_owner = 'elsewhere', lease_expires_at = clock_timestamp() + interval '1 minute'
      WHERE session_id = ${session.sessionId}`;
    let releasedAt = Number.POSITIVE_INFINITY;
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        void a.sql!`UPDATE pecr_session_runtime SET lease_owner = NULL, lease_expires_at = NULL WHERE session_id = ${session.sessionId}`.then(() => {
          releasedAt = performance.now();
          resolve();
        });
      }, 300),
    );
    const conflictsBefore = await conflicts(a);
    const response = await fetchSpanOn(a, session.sessionId, session.options);
    const answeredAt = performance.now();
    await released;
    t.is(response.usage!.operatorCallsUsed, 2n);
    t.true(answeredAt >= releasedAt, "the call was answered only after the other holder gave the lease back");
    t.is((await conflicts(a)) - conflictsBefore, 1, "its optimistic write was refused");
  });
}
