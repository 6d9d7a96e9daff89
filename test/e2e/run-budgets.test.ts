/**
 * Every budget limit of a run, end to end over the real gateway and controller (each on its own port, over
 * HTTP/2), on each ledger backend: max_bytes (the gateway withholds documents that do not fit), max_recursion_depth,
 * max_wallclock_ms (0, and a source that makes it run out mid-run), and max_parallelism (counted on the wire by an
 * HTTP/2 proxy between controller and gateway). Each test checks the run's stop reason, terminal mode and counters,
 * and that the gateway's ledger (read as an auditor) agrees: the session's OPERATOR_CALL events, budget violations
 * and FINALIZE_RESULT. max_operator_calls is covered in failure-modes.test.ts.
 *
 * The gateway decides through the real embedded policy, switchable to hold chosen decisions
 * (test/support/switchable-policy.ts): until calls overlap, or until the controller's deadline for the call runs out.
 */
import anyTest, { type TestFn } from "ava";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import type { LedgerEventRecord } from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { BudgetDimension, type FinalizeResultEvent, type OperatorCallEvent, OperatorOutcome } from "#gen/pecr/v1/ledger_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { type SwitchablePolicy, createSwitchablePolicy, isCallDecision, untilAborted } from "../support/switchable-policy.js";
import { type Stack, startStack } from "../support/stack-harness.js";
import { forEachBackend } from "./support/backends.js";
import { type H2CountingProxy, startH2CountingProxy } from "./support/h2-counting-proxy.js";
import { allEvents, assertLedgerVerifies, halfWrittenCalls } from "./support/ledger-audit.js";

const test = anyTest as TestFn;
const QUESTION = "What are the support hours?";
const UNAVAILABLE_TEXT = "UNKNOWN: required sources were unavailable within budget.";

/** The stack's default budget (STACK_BUDGET_JSON) as a request budget; each test changes one limit. */
const BUDGET: MessageInitShape<typeof BudgetSchema> = {
  maxOperatorCalls: 10,
  maxBytes: 1_048_576n,
  maxWallclockMs: 60_000n,
  maxRecursionDepth: 5,
  maxParallelism: 4,
};

/** What the gateway recorded for one session. */
interface SessionLedger {
  /** OPERATOR_CALL events, in ledger order. */
  readonly calls: OperatorCallEvent[];
  /** BUDGET_VIOLATION dimensions and operators. */
  readonly violations: { op: string; dimension: BudgetDimension }[];
  /** Evidence ids of EVIDENCE_EMITTED events. */
  readonly emitted: string[];
  /** The FINALIZE_RESULT event. */
  readonly finalize: FinalizeResultEvent | undefined;
}

function sessionLedger(records: readonly LedgerEventRecord[]): SessionLedger {
  const calls: OperatorCallEvent[] = [];
  const violations: { op: string; dimension: BudgetDimension }[] = [];
  const emitted: string[] = [];
  let finalize: FinalizeResultEvent | undefined;
  for (const record of records) {
    const payload = record.event?.payload;
    if (payload?.case === "operatorCall") calls.push(payload.value);
    if (payload?.case === "budgetViolation") violations.push({ op: payload.value.opName, dimension: payload.value.dimension });
    if (payload?.case === "evidenceEmitted") emitted.push(payload.value.evidenceUnitId);
    if (payload?.case === "finalizeResult") finalize = payload.value;
  }
  return { calls, violations, emitted, finalize };
}

/** Operator names of `calls`, e.g. `["search", "search", "fetch_span"]`. */
const ops = (calls: readonly OperatorCallEvent[]) => calls.map((call) => call.opName);

forEachBackend(test, "run budget suite", ({ backend, prefix }) => {
  let stack: Stack | undefined;
  let policy: SwitchablePolicy | undefined;
  const proxies: H2CountingProxy[] = [];
  test.before(async () => {
    policy = await createSwitchablePolicy();
    stack = await startStack({ backend, policy });
    // Warm up (rule compilation, first connections), so the wallclock test's budget is spent where it aims.
    await stack.controller.client("dev").run({ query: QUESTION });
  });
  test.after.always(async () => {
    await stack?.close();
    for (const proxy of proxies) await proxy.close();
    await policy?.close();
  });
  const ledgerOf = async (sessionId: string) => sessionLedger(await allEvents(stack!.gateway("auditor"), { sessionId }));

  test.serial(`${prefix}run budgets: a byte budget the searches fill stops the run on BUDGET_MAX_BYTES; the gateway withholds documents that do not fit`, async (t) => {
    const client = stack!.controller.client("dev");
    // A run with room to spare shows what the searches cost and what the documents would add.
    const baseline = await ledgerOf((await client.run({ query: QUESTION, budget: BUDGET })).sessionId);
    const searches = baseline.calls.filter((call) => call.opName === "search");
    const fetches = baseline.calls.filter((call) => call.opName === "fetch_span");
    t.true(searches.length > 0 && fetches.length > 0, "the baseline run searched and fetched");
    const searchBytes = searches.reduce((most, call) => (call.usage!.bytesUsed > most ? call.usage!.bytesUsed : most), 0n);
    const fetchParamsBytes = fetches.reduce((sum, call) => sum + call.paramsBytes, 0n);
    t.true(fetches.every((call) => call.resultBytes > fetchParamsBytes), "no document fits in the room left for the fetch parameters");

    // Room for the searches and for sending the fetches, not for any document they return.
    const maxBytes = searchBytes + fetchParamsBytes;
    const run = await client.run({ query: QUESTION, budget: { ...BUDGET, maxBytes } });
    t.is(run.stats?.stopReason, StopReason.BUDGET_MAX_BYTES);
    t.true(run.stats?.budgetViolation);
    t.is(run.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    t.is(run.stats?.depthUsed, 2);
    t.is(run.stats?.operatorCallsUsed, BigInt(searches.length + fetches.length));
    // The run reports the gateway's count after its last successful call: the searches.
    t.is(run.stats?.bytesUsed, searchBytes);
    t.deepEqual(run.citedEvidence, []);

    const ledger = await ledgerOf(run.sessionId);
    t.deepEqual(ops(ledger.calls).sort(), ops(baseline.calls).sort());
    t.is(run.stats?.operatorCallsUsed, BigInt(ledger.calls.length));
    const refused = ledger.calls.filter((call) => call.opName === "fetch_span");
    t.true(refused.every((call) => call.outcome === OperatorOutcome.ERROR && call.errorCode === "ERR_BUDGET_EXCEEDED" && call.evidenceCount === 0));
    t.deepEqual(ledger.violations, refused.map(() => ({ op: "fetch_span", dimension: BudgetDimension.BYTES })));
    t.deepEqual(ledger.emitted, []);
    // The gateway charged the refused fetches their parameters only, and never went past the budget.
    t.is(ledger.finalize?.usage?.bytesUsed, maxBytes);
    t.is(ledger.finalize?.usage?.operatorCallsUsed, run.stats?.operatorCallsUsed);
    t.is(ledger.finalize?.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  });

  test.serial(`${prefix}run budgets: a recursion depth of 1 runs the search step only and stops on BUDGET_MAX_RECURSION_DEPTH`, async (t) => {
    const run = await stack!.controller.client("dev").run({ query: QUESTION, budget: { ...BUDGET, maxRecursionDepth: 1 } });
    t.is(run.stats?.stopReason, StopReason.BUDGET_MAX_RECURSION_DEPTH);
    t.true(run.stats?.budgetViolation);
    t.is(run.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    t.is(run.stats?.depthUsed, 1);
    t.deepEqual(run.citedEvidence, []);

    const ledger = await ledgerOf(run.sessionId);
    t.true(ledger.calls.length > 0);
    t.deepEqual(ops(ledger.calls), ledger.calls.map(() => "search"));
    t.true(ledger.calls.every((call) => call.outcome === OperatorOutcome.SUCCESS));
    t.is(run.stats?.operatorCallsUsed, BigInt(ledger.calls.length));
    t.deepEqual(ledger.emitted, []);
    t.deepEqual(ledger.violations, []);
    t.is(ledger.finalize?.usage?.operatorCallsUsed, run.stats?.operatorCallsUsed);
    t.is(ledger.finalize?.usage?.bytesUsed, run.stats?.bytesUsed);
    t.is(ledger.finalize?.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  });

  test.serial(`${prefix}run budgets: a wallclock budget of 0 makes no operator call, stops on BUDGET_MAX_WALLCLOCK_MS and still finalizes`, async (t) => {
    const run = await stack!.controller.client("dev").run({ query: QUESTION, budget: { ...BUDGET, maxWallclockMs: 0n } });
    t.is(run.stats?.stopReason, StopReason.BUDGET_MAX_WALLCLOCK_MS);
    t.true(run.stats?.budgetViolation);
    t.is(run.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    t.is(run.stats?.operatorCallsUsed, 0n);
    t.is(run.stats?.bytesUsed, 0n);
    t.is(run.stats?.depthUsed, 0);

    const ledger = await ledgerOf(run.sessionId);
    t.deepEqual(ledger.calls, []);
    t.deepEqual(ledger.emitted, []);
    t.is(ledger.finalize?.budget?.maxWallclockMs, 0n);
    t.is(ledger.finalize?.usage?.operatorCallsUsed, 0n);
    t.is(ledger.finalize?.usage?.bytesUsed, 0n);
    t.is(ledger.finalize?.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  });

  test.serial(`${prefix}run budgets: a source slower than the remaining wallclock stops the run mid-plan on BUDGET_MAX_WALLCLOCK_MS with SOURCE_UNAVAILABLE`, async (t) => {
    // The searches are answered at once; every document fetch hangs until the controller's deadline for it,
    // which is what is left of the wallclock budget, runs out.
    const held: string[] = [];
    policy!.set({
      kind: "hold",
      before: async (input, signal) => {
        if (!isCallDecision(input, "fetch_span")) return;
        held.push(input.op_name!);
        await untilAborted(signal);
      },
    });
    t.teardown(() => policy!.set({ kind: "normal" }));
    // Ample for the searches on two busy CPUs (they take a few hundred ms): the budget must run out in the fetch.
    const wallclockMs = 6000;
    // One call at a time, so the fetch the deadline cuts is the only one started.
    const run = await stack!.controller
      .client("dev")
      .run({ query: QUESTION, budget: { ...BUDGET, maxWallclockMs: BigInt(wallclockMs), maxParallelism: 1 } }, { timeoutMs: wallclockMs + 30_000 });
    t.deepEqual(held, ["fetch_span"]);
    t.is(run.stats?.stopReason, StopReason.BUDGET_MAX_WALLCLOCK_MS);
    t.true(run.stats?.budgetViolation);
    t.is(run.terminalMode, TerminalMode.SOURCE_UNAVAILABLE);
    t.is(run.responseText, UNAVAILABLE_TEXT);
    t.is(run.stats?.depthUsed, 2);
    t.true(run.stats!.wallclockMs >= BigInt(wallclockMs), `the run ended after ${run.stats?.wallclockMs} ms`);

    const ledger = await ledgerOf(run.sessionId);
    const searches = ledger.calls.filter((call) => call.opName === "search");
    t.true(searches.length > 0 && searches.every((call) => call.outcome === OperatorOutcome.SUCCESS));
    // The cut fetch is recorded as failed (its decision timed out), after every search.
    t.like(ledger.calls.at(-1), { opName: "fetch_span", outcome: OperatorOutcome.ERROR, terminalMode: TerminalMode.SOURCE_UNAVAILABLE, evidenceCount: 0 });
    t.is(ledger.calls.length, searches.length + 1);
    t.is(run.stats?.operatorCallsUsed, BigInt(ledger.calls.length));
    t.deepEqual(ledger.emitted, []);
    t.is(ledger.finalize?.usage?.operatorCallsUsed, run.stats?.operatorCallsUsed);
    t.is(ledger.finalize?.proposedTerminalMode, TerminalMode.SOURCE_UNAVAILABLE);
    t.is(ledger.finalize?.terminalMode, TerminalMode.SOURCE_UNAVAILABLE);
  });

  test.serial(`${prefix}run budgets: max_parallelism 2 keeps at most two operator calls in flight at the gateway`, async (t) => {
    const s = stack!;
    const isOperatorCall = (path: string) =>
      path.startsWith("/pecr.gateway.v1.GatewayService/") && !/\/(CreateSession|Finalize)$/.test(path);
    const proxy = await startH2CountingProxy(s.gatewayUrl, isOperatorCall);
    proxies.push(proxy);
    const controller = await s.startController({ PECR_GATEWAY_URL: proxy.url });
    // The first decision waits until a second call is in flight, so the calls overlap whatever the machine's load.
    let first = true;
    policy!.set({
      kind: "hold",
      before: async (input, signal) => {
        if (!isCallDecision(input) || !first) return;
        first = false;
        await Promise.race([proxy.whenInFlight(2), untilAborted(signal)]);
      },
    });
    t.teardown(() => policy!.set({ kind: "normal" }));

    const run = await controller.client("dev").run({ query: QUESTION, budget: { ...BUDGET, maxParallelism: 2 } });
    t.is(run.terminalMode, TerminalMode.SUPPORTED);
    t.is(run.stats?.stopReason, StopReason.PLAN_COMPLETE);
    t.false(run.stats?.budgetViolation);
    t.is(proxy.peak, 2);
    t.is(run.stats?.operatorCallsUsed, BigInt(proxy.total));

    const ledger = await ledgerOf(run.sessionId);
    t.true(ledger.calls.length > 2, "the run had more calls than it may run at once");
    t.is(run.stats?.operatorCallsUsed, BigInt(ledger.calls.length));
    t.true(ledger.calls.every((call) => call.outcome === OperatorOutcome.SUCCESS));
    t.is(ledger.finalize?.usage?.bytesUsed, run.stats?.bytesUsed);
    t.is(ledger.finalize?.terminalMode, TerminalMode.SUPPORTED);
  });

  test.serial(`${prefix}run budgets: after every budget stop the ledger chain verifies and holds no half-written call`, async (t) => {
    const auditor = stack!.gateway("auditor");
    await assertLedgerVerifies(t, auditor);
    t.deepEqual(halfWrittenCalls(await allEvents(auditor)), []);
  });
});
