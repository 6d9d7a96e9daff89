/**
 * Budget limits, deadlines and gateway failures as a Run caller sees them: every budget limit stops the loop
 * with its reason, deadlines come from the wallclock budget, operator errors become the proposed terminal mode
 * and survive finalize, and CreateSession / Finalize errors pass through with the gateway's code and detail.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { errors } from "#core/errors/pecr-error.js";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { as, createHarness } from "./support/controller-harness.js";

const QUESTION = "What are the support hours?";

function budget(overrides: Record<string, unknown>) {
  return create(BudgetSchema, {
    maxOperatorCalls: 10,
    maxBytes: 1_048_576n,
    maxWallclockMs: 10_000n,
    maxRecursionDepth: 5,
    maxParallelism: 4,
    ...overrides,
  });
}

const operatorCalls = (methods: readonly string[]) =>
  methods.filter((method) => method !== "CreateSession" && method !== "Finalize");

test("max_operator_calls = 1 makes one call and stops on the call budget", async (t) => {
  const { client, gateway } = await createHarness();
  const res = await client.run({ query: QUESTION, budget: budget({ maxOperatorCalls: 1 }) }, as("dev"));
  t.is(operatorCalls(gateway.requests.map((request) => request.method)).length, 1);
  t.is(res.stats?.operatorCallsUsed, 1n);
  t.is(res.stats?.stopReason, StopReason.BUDGET_MAX_OPERATOR_CALLS);
  t.true(res.stats?.budgetViolation);
  t.is(res.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
});

test("max_operator_calls = 0 makes no operator call but still opens and closes the session", async (t) => {
  const { client, gateway } = await createHarness();
  const res = await client.run({ query: QUESTION, budget: budget({ maxOperatorCalls: 0 }) }, as("dev"));
  t.deepEqual(gateway.requests.map((request) => request.method), ["CreateSession", "Finalize"]);
  t.is(res.stats?.stopReason, StopReason.BUDGET_MAX_OPERATOR_CALLS);
});

test("max_recursion_depth = 1 takes one step", async (t) => {
  const { client } = await createHarness();
  const res = await client.run({ query: QUESTION, budget: budget({ maxRecursionDepth: 1 }) }, as("dev"));
  t.is(res.stats?.depthUsed, 1);
  t.is(res.stats?.stopReason, StopReason.BUDGET_MAX_RECURSION_DEPTH);
  t.is(res.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
});

test("max_wallclock_ms = 0 makes no operator call; session calls get the floor deadline", async (t) => {
  const { client, gateway } = await createHarness({ env: { PECR_GATEWAY_CALL_TIMEOUT_MS: "3000" } });
  const res = await client.run({ query: QUESTION, budget: budget({ maxWallclockMs: 0n }) }, as("dev"));
  t.deepEqual(gateway.requests.map((request) => request.method), ["CreateSession", "Finalize"]);
  t.is(res.stats?.stopReason, StopReason.BUDGET_MAX_WALLCLOCK_MS);
  t.true(res.stats?.budgetViolation);
  for (const request of gateway.requests) {
    t.truthy(request.timeoutMs);
    t.is(request.timeoutMs, 3000, request.method);
  }
});

test("a byte budget the first results exhaust stops with BUDGET_MAX_BYTES", async (t) => {
  const { client } = await createHarness();
  // Searches fit; the whole-document fetch that follows does not.
  const res = await client.run({ query: QUESTION, budget: budget({ maxBytes: 700n }) }, as("dev"));
  t.is(res.stats?.stopReason, StopReason.BUDGET_MAX_BYTES);
  t.true(res.stats?.budgetViolation);
  t.true(res.stats!.bytesUsed <= 700n);
  t.is(res.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
});

test("parallelism 2 keeps at most two operator calls in flight at the gateway", async (t) => {
  let waiting: (() => void)[] = [];
  const { client, gateway } = await createHarness({
    hooks: {
      // Hold each call until the next one arrives or the batch cannot grow: calls overlap deterministically.
      beforeOperator: () =>
        new Promise<void>((resolve) => {
          waiting.push(resolve);
          setImmediate(() => {
            const release = waiting;
            waiting = [];
            for (const done of release) done();
          });
        }),
    },
  });
  const res = await client.run({ query: QUESTION, budget: budget({ maxParallelism: 2 }) }, as("dev"));
  t.is(res.terminalMode, TerminalMode.SUPPORTED);
  t.is(gateway.peakInFlight(), 2);
});

test("every gateway call carries a deadline taken from the remaining wallclock budget", async (t) => {
  const { client, gateway } = await createHarness({ env: { PECR_GATEWAY_CALL_TIMEOUT_MS: "1000" } });
  await client.run({ query: QUESTION, budget: budget({ maxWallclockMs: 5000n }) }, as("dev"));
  const [create, ...rest] = gateway.requests;
  t.is(create?.method, "CreateSession");
  t.is(create?.timeoutMs, 5000);
  t.true(rest.length >= 3);
  let previous = create!.timeoutMs!;
  for (const request of rest) {
    // Each later call gets what is left, so deadlines never grow; Finalize keeps at least the 1000 ms floor.
    t.truthy(request.timeoutMs, request.method);
    t.true(request.timeoutMs! <= previous + 1, `${request.method} ${request.timeoutMs} after ${previous}`);
    if (request.method === "Finalize") t.true(request.timeoutMs! >= 1000);
    previous = request.timeoutMs!;
  }
});

test("a gateway slower than the wallclock budget ends SOURCE_UNAVAILABLE, and that survives finalize", async (t) => {
  const { client, gateway } = await createHarness();
  // A first run warms up (rule compilation, first connections), so the short budget below is spent waiting.
  await client.run({ query: QUESTION }, as("dev"));
  gateway.hooks.beforeOperator = (_params, ctx) =>
    new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  const res = await client.run({ query: QUESTION, budget: budget({ maxWallclockMs: 300n }) }, as("dev"));
  t.is(res.terminalMode, TerminalMode.SOURCE_UNAVAILABLE);
  t.is(res.responseText, "UNKNOWN: required sources were unavailable within budget.");
  t.is(res.stats?.stopReason, StopReason.BUDGET_MAX_WALLCLOCK_MS);
});

test("an unavailable source stops the loop and SOURCE_UNAVAILABLE survives finalize", async (t) => {
  const { client } = await createHarness({
    hooks: { operatorError: (params) => (params.params.case === "search" ? errors.sourceUnavailable("source unavailable") : undefined) },
  });
  const res = await client.run({ query: QUESTION }, as("dev"));
  t.is(res.terminalMode, TerminalMode.SOURCE_UNAVAILABLE);
  t.is(res.stats?.stopReason, StopReason.OPERATOR_ERROR);
  t.false(res.stats?.budgetViolation);
});

test("a policy denial of a later call keeps INSUFFICIENT_PERMISSION even with evidence in hand", async (t) => {
  const { client } = await createHarness({
    hooks: { operatorError: (params) => (params.params.case === "fetchSpan" ? errors.policyDenied() : undefined) },
  });
  const res = await client.run({ query: "What is the status of cust_public_1?" }, as("dev"));
  t.is(res.terminalMode, TerminalMode.INSUFFICIENT_PERMISSION);
});

test("a CreateSession denial passes through with the gateway's code and detail, and nothing else", async (t) => {
  const { client, gateway } = await createHarness({
    hooks: { createSessionError: (principal) => (principal === "blocked" ? errors.policyDenied() : undefined) },
  });
  const error = await t.throwsAsync(client.run({ query: QUESTION }, as("blocked")));
  const connectError = ConnectError.from(error);
  t.is(connectError.code, Code.PermissionDenied);
  t.is(connectError.rawMessage, "policy denied");
  t.like(findErrorDetail(connectError), { code: "ERR_POLICY_DENIED", terminalModeHint: TerminalMode.INSUFFICIENT_PERMISSION });
  t.is(connectError.metadata.get("x-gateway-internal"), null);
  t.deepEqual(gateway.requests.map((request) => request.method), ["CreateSession"]);
});

test("a Finalize failure passes through with the gateway's code and detail", async (t) => {
  const { client } = await createHarness({ hooks: { finalizeError: () => errors.ledgerUnavailable() } });
  const error = ConnectError.from(await t.throwsAsync(client.run({ query: QUESTION }, as("dev"))));
  t.is(error.code, Code.Unavailable);
  t.is(error.rawMessage, "ledger unavailable");
  t.like(findErrorDetail(error), { code: "ERR_LEDGER_UNAVAILABLE", terminalModeHint: TerminalMode.SOURCE_UNAVAILABLE });
});

test("an unreachable gateway is Unavailable ERR_SOURCE_UNAVAILABLE \"gateway request failed\"", async (t) => {
  const dead = createRouterTransport(() => {
    // No services: every call fails as if nothing listened.
  });
  const unreachable = {
    ...dead,
    unary: () => Promise.reject(new ConnectError("connect ECONNREFUSED", Code.Unavailable)),
  };
  const { client } = await createHarness({ gatewayTransport: unreachable });
  const error = ConnectError.from(await t.throwsAsync(client.run({ query: QUESTION }, as("dev"))));
  t.is(error.code, Code.Unavailable);
  t.is(error.rawMessage, "gateway request failed");
  t.like(findErrorDetail(error), { code: "ERR_SOURCE_UNAVAILABLE", terminalModeHint: TerminalMode.SOURCE_UNAVAILABLE, retryable: true });
});

test("a request budget outside the proto's rules is InvalidArgument", async (t) => {
  const { client, gateway } = await createHarness();
  const error = ConnectError.from(
    await t.throwsAsync(client.run({ query: QUESTION, budget: budget({ maxParallelism: 0 }) }, as("dev"))),
  );
  t.is(error.code, Code.InvalidArgument);
  t.is(gateway.requests.length, 0);
});
