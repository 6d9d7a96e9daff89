import test from "ava";
import { create } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { Code, ConnectError } from "@connectrpc/connect";
import { errors } from "#core/errors/pecr-error.js";
import { StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import { type Budget, BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { type OperatorParams, OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { createMockPlanner } from "../planners/mock-planner.js";
import {
  type FakeAnswer,
  type FakeOperatorCallsOptions,
  createFakeOperatorCalls,
  gatewayError,
  textUnit,
  transportError,
} from "../testing/fake-operator-calls.js";
import { type ContextLoop, type LoopEvent, createContextLoop } from "./context-loop.js";

const validator = createValidator();

const GENEROUS = {
  maxOperatorCalls: 10,
  maxBytes: 1_048_576n,
  maxWallclockMs: 10_000n,
  maxRecursionDepth: 5,
  maxParallelism: 4,
};

function budget(overrides: Partial<typeof GENEROUS> & { maxParallelism?: number } = {}): Budget {
  return create(BudgetSchema, { ...GENEROUS, ...overrides });
}

interface Harness {
  readonly loop: ContextLoop;
  readonly fake: ReturnType<typeof createFakeOperatorCalls>;
  readonly events: LoopEvent[];
  iterations: number;
  /** The fake clock, in ms. */
  time: number;
}

function harness(limits: Budget, options: FakeOperatorCallsOptions = {}): Harness {
  const fake = createFakeOperatorCalls(options);
  const events: LoopEvent[] = [];
  const h: Harness = {
    fake,
    events,
    iterations: 0,
    time: 0,
    loop: undefined as unknown as ContextLoop,
  };
  (h as { loop: ContextLoop }).loop = createContextLoop({
    budget: limits,
    now: () => h.time,
    startedAt: 0,
    callOperator: fake.call,
    validator,
    onIteration: () => h.iterations++,
    onEvent: (event) => events.push(event),
  });
  return h;
}

const search = (query: string): OperatorParams =>
  create(OperatorParamsSchema, { params: { case: "search", value: { query, limit: 5 } } });
const fetchSpan = (objectId: string): OperatorParams =>
  create(OperatorParamsSchema, { params: { case: "fetchSpan", value: { objectId } } });

/** The mock plan finds two refs, so its last step fans out two fetches. */
const withRefs: FakeOperatorCallsOptions = {
  answer: (params) => (params.params.case === "search" ? { refs: ["public/a.txt", "public/b.txt"] } : {}),
};

test("the mock plan runs to completion within a generous budget", async (t) => {
  const h = harness(budget(), withRefs);
  await createMockPlanner().answer({ query: "smoke" }, h.loop);
  const summary = h.loop.finish();
  t.is(summary.stopReason, StopReason.PLAN_COMPLETE);
  t.false(summary.budgetViolation);
  t.is(summary.operatorCallsUsed, 5);
  t.is(summary.depthUsed, 4);
  t.is(h.iterations, 4);
  t.deepEqual(
    h.fake.calls.map((call) => call.params.params.case),
    ["listVersions", "fetchRows", "search", "fetchSpan", "fetchSpan"],
  );
  t.is(summary.errorHint, undefined);
});

test("max_operator_calls = 1 makes exactly one call", async (t) => {
  const h = harness(budget({ maxOperatorCalls: 1 }), withRefs);
  await createMockPlanner().answer({ query: "smoke" }, h.loop);
  const summary = h.loop.finish();
  t.is(h.fake.calls.length, 1);
  t.is(summary.operatorCallsUsed, 1);
  t.is(summary.stopReason, StopReason.BUDGET_MAX_OPERATOR_CALLS);
  t.true(summary.budgetViolation);
});

test("max_operator_calls = 0 makes no call at all", async (t) => {
  const h = harness(budget({ maxOperatorCalls: 0 }), withRefs);
  await createMockPlanner().answer({ query: "smoke" }, h.loop);
  const summary = h.loop.finish();
  t.is(h.fake.calls.length, 0);
  t.is(summary.stopReason, StopReason.BUDGET_MAX_OPERATOR_CALLS);
});

test("max_recursion_depth = 1 takes one step and one call", async (t) => {
  const h = harness(budget({ maxRecursionDepth: 1 }), withRefs);
  await createMockPlanner().answer({ query: "smoke" }, h.loop);
  const summary = h.loop.finish();
  t.is(summary.depthUsed, 1);
  t.is(h.fake.calls.length, 1);
  t.is(summary.stopReason, StopReason.BUDGET_MAX_RECURSION_DEPTH);
  t.true(summary.budgetViolation);
});

test("max_wallclock_ms = 0 means no time at all: the loop stops before any call", async (t) => {
  const h = harness(budget({ maxWallclockMs: 0n }), withRefs);
  await createMockPlanner().answer({ query: "smoke" }, h.loop);
  const summary = h.loop.finish();
  t.is(h.fake.calls.length, 0);
  t.is(summary.depthUsed, 0);
  t.is(summary.stopReason, StopReason.BUDGET_MAX_WALLCLOCK_MS);
  t.true(summary.budgetViolation);
});

test("the wallclock spent by earlier calls stops later steps", async (t) => {
  let h: Harness | undefined;
  h = harness(budget({ maxWallclockMs: 100n }), {
    ...withRefs,
    during: async () => {
      h!.time += 60;
    },
  });
  await createMockPlanner().answer({ query: "smoke" }, h.loop);
  const summary = h.loop.finish();
  t.is(h.fake.calls.length, 2);
  t.is(summary.stopReason, StopReason.BUDGET_MAX_WALLCLOCK_MS);
});

test("every call's deadline is what is left of the wallclock budget", async (t) => {
  let h: Harness | undefined;
  h = harness(budget({ maxWallclockMs: 1000n }), {
    ...withRefs,
    during: async () => {
      h!.time += 100;
    },
  });
  await createMockPlanner().answer({ query: "smoke" }, h.loop);
  t.deepEqual(
    h.fake.calls.slice(0, 3).map((call) => call.timeoutMs),
    [1000, 900, 800],
  );
});

test("parallelism 2 keeps at most two fetches in flight", async (t) => {
  const refs = ["a", "b", "c", "d", "e"].map((name) => `public/${name}.txt`);
  const h = harness(budget({ maxParallelism: 2 }), {
    answer: (params) => (params.params.case === "search" ? { refs } : {}),
    during: () => new Promise((resolve) => setImmediate(resolve)),
  });
  const outcome = await h.loop.step(refs.map(fetchSpan));
  t.is(h.fake.peakInFlight(), 2);
  t.is(outcome.results.length, 5);
  t.true(outcome.results.every((result) => result !== undefined));
  t.false(outcome.stopped);
});

test("without max_parallelism, calls run one at a time", async (t) => {
  const h = harness(create(BudgetSchema, { ...GENEROUS, maxParallelism: undefined }), {
    during: () => new Promise((resolve) => setImmediate(resolve)),
  });
  await h.loop.step([fetchSpan("a"), fetchSpan("b"), fetchSpan("c")]);
  t.is(h.fake.peakInFlight(), 1);
});

test("calls in flight count against max_operator_calls", async (t) => {
  const h = harness(budget({ maxOperatorCalls: 3, maxParallelism: 8 }), {
    during: () => new Promise((resolve) => setImmediate(resolve)),
  });
  const outcome = await h.loop.step(["a", "b", "c", "d", "e"].map(fetchSpan));
  t.is(h.fake.calls.length, 3);
  t.deepEqual(outcome.results.map((result) => result !== undefined), [true, true, true, false, false]);
  t.is(h.loop.finish().stopReason, StopReason.BUDGET_MAX_OPERATOR_CALLS);
});

test("bytes exhaustion stops the loop with BUDGET_MAX_BYTES using the gateway's count", async (t) => {
  // Each call is charged 7 parameter bytes plus 1000 result bytes: after two calls (2014 bytes) a third one's
  // parameters no longer fit in 2015.
  const h = harness(budget({ maxBytes: 2015n }), { resultBytes: 1000 });
  await h.loop.step([search("a")]);
  await h.loop.step([search("b")]);
  const third = await h.loop.step([search("c")]);
  const summary = h.loop.finish();
  t.true(third.stopped);
  t.is(h.fake.calls.length, 2);
  t.is(summary.stopReason, StopReason.BUDGET_MAX_BYTES);
  t.true(summary.budgetViolation);
  t.is(summary.bytesUsed, 2014n);
});

test("a result that overshoots max_bytes stops the loop after its step", async (t) => {
  const h = harness(budget({ maxBytes: 500n }), { resultBytes: 1000 });
  const first = await h.loop.step([search("a")]);
  t.true(first.stopped);
  t.is(h.loop.finish().stopReason, StopReason.BUDGET_MAX_BYTES);
});

test("max_bytes = 0 makes no call", async (t) => {
  const h = harness(budget({ maxBytes: 0n }));
  await h.loop.step([search("a")]);
  t.is(h.fake.calls.length, 0);
  t.is(h.loop.finish().stopReason, StopReason.BUDGET_MAX_BYTES);
});

test("the gateway refusing a call for its budget stops with a budget reason", async (t) => {
  const h = harness(budget(), { answer: () => ({ error: gatewayError(errors.budgetExceeded()) }) });
  await h.loop.step([search("a")]);
  const summary = h.loop.finish();
  t.is(summary.stopReason, StopReason.BUDGET_MAX_BYTES);
  t.true(summary.budgetViolation);
  t.is(summary.errorHint, undefined);
});

test("a policy denial stops the loop with the INSUFFICIENT_PERMISSION hint", async (t) => {
  let index = 0;
  const denied = harness(budget(), {
    answer: (): FakeAnswer => (index++ === 1 ? { error: gatewayError(errors.policyDenied()) } : {}),
  });
  await createMockPlanner().answer({ query: "smoke" }, denied.loop);
  const summary = denied.loop.finish();
  t.is(denied.fake.calls.length, 2);
  t.is(summary.stopReason, StopReason.OPERATOR_ERROR);
  t.false(summary.budgetViolation);
  t.is(summary.errorHint, TerminalMode.INSUFFICIENT_PERMISSION);
});

test("gateway errors map to terminal-mode hints", async (t) => {
  const cases: [unknown, TerminalMode][] = [
    [gatewayError(errors.policyDenied()), TerminalMode.INSUFFICIENT_PERMISSION],
    [gatewayError(errors.sourceUnavailable("source unavailable")), TerminalMode.SOURCE_UNAVAILABLE],
    [gatewayError(errors.sourceTimeout("source timed out")), TerminalMode.SOURCE_UNAVAILABLE],
    [gatewayError(errors.ledgerUnavailable()), TerminalMode.SOURCE_UNAVAILABLE],
    [gatewayError(errors.invalidParams("bad params")), TerminalMode.INSUFFICIENT_EVIDENCE],
    [transportError(), TerminalMode.SOURCE_UNAVAILABLE],
    [new ConnectError("denied", Code.PermissionDenied), TerminalMode.INSUFFICIENT_PERMISSION],
    [new ConnectError("slow", Code.DeadlineExceeded), TerminalMode.SOURCE_UNAVAILABLE],
  ];
  for (const [error, hint] of cases) {
    const h = harness(budget(), { answer: () => ({ error }) });
    await h.loop.step([search("a")]);
    const summary = h.loop.finish();
    t.is(summary.errorHint, hint, String(error));
    t.is(summary.stopReason, StopReason.OPERATOR_ERROR);
    const event = h.events.find((item) => item.kind === "operator_call");
    t.is(event?.kind === "operator_call" ? event.outcome : undefined, hint);
  }
});

test("a call that outlives the wallclock budget ends SOURCE_UNAVAILABLE with the wallclock reason", async (t) => {
  let h: Harness | undefined;
  h = harness(budget({ maxWallclockMs: 50n }), {
    answer: () => {
      h!.time = 60;
      return { error: new ConnectError("deadline", Code.DeadlineExceeded) };
    },
  });
  await h.loop.step([search("a")]);
  const summary = h.loop.finish();
  t.is(summary.stopReason, StopReason.BUDGET_MAX_WALLCLOCK_MS);
  t.true(summary.budgetViolation);
  t.is(summary.errorHint, TerminalMode.SOURCE_UNAVAILABLE);
});

test("a step with a call outside the allowlist sends nothing", async (t) => {
  const h = harness(budget());
  const bogus = create(OperatorParamsSchema, {});
  const outcome = await h.loop.step([search("a"), bogus]);
  t.true(outcome.stopped);
  t.is(h.fake.calls.length, 0);
  t.is(h.loop.finish().stopReason, StopReason.OPERATOR_ERROR);
});

test("a call breaking its field rules is not sent", async (t) => {
  const h = harness(budget());
  await h.loop.step([search("x".repeat(2000))]);
  t.is(h.fake.calls.length, 0);
  t.is(h.loop.finish().stopReason, StopReason.OPERATOR_ERROR);
});

test("evidence events carry refs only, and the summary indexes every unit emitted", async (t) => {
  const unit = textUnit("public/a.txt", "Secret-free text.");
  const h = harness(budget(), { answer: () => ({ units: [unit] }) });
  await h.loop.step([fetchSpan("public/a.txt")]);
  const summary = h.loop.finish();
  const evidence = h.events.find((event) => event.kind === "evidence");
  t.deepEqual(evidence?.kind === "evidence" ? evidence.refs.map((ref) => ref.evidenceUnitId) : [], [unit.evidenceUnitId]);
  t.false(JSON.stringify(evidence, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)).includes("Secret-free"));
  t.is(summary.evidence.get(unit.evidenceUnitId)?.objectId, "public/a.txt");
});

test("a step with no calls still takes one unit of depth", async (t) => {
  const h = harness(budget({ maxRecursionDepth: 2 }));
  await h.loop.step([]);
  await h.loop.step([]);
  const third = await h.loop.step([search("a")]);
  t.true(third.stopped);
  t.is(h.loop.finish().stopReason, StopReason.BUDGET_MAX_RECURSION_DEPTH);
});
