/**
 * Failure modes (reference §8.1 suites 11 and 12, through the controller's Run): a policy deny ends in
 * INSUFFICIENT_PERMISSION, a spent budget in a budget stop, a policy engine that is down or too slow fails the run
 * with Unavailable / DeadlineExceeded and the SOURCE_UNAVAILABLE hint, and — on real Postgres — a database that
 * goes away mid-run fails with SOURCE_UNAVAILABLE without leaving half an operator call in the ledger.
 *
 * The gateway runs its `opa` engine against a real OPA-compatible server (the bundle's policy, evaluated by the
 * embedded engine, which can be slowed down) behind a TCP fault proxy; its Postgres connection runs through
 * another one. Tests are serial: each switches a fault on and off for the whole stack.
 */
import anyTest, { type TestFn } from "ava";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { createEmbeddedEngine } from "../../services/gateway/policy/embedded-engine.js";
import { type OpaCompatibleServer, startOpaCompatibleServer } from "../../services/gateway/policy/opa-compatible-server.js";
import type { PolicyEngine } from "../../services/gateway/policy/policy-engine.js";
import { DEFAULT_BUDGET, failure, openTestSession } from "../support/gateway-sessions.js";
import { type Stack, startStack } from "../support/stack-harness.js";
import { type TcpFaultProxy, startTcpFaultProxy } from "../support/tcp-fault-proxy.js";
import { forEachBackend } from "./support/backends.js";
import { allEvents, assertLedgerVerifies, halfWrittenCalls } from "./support/ledger-audit.js";

const test = anyTest as TestFn;
const QUESTION = "What are the support hours?";
/**
 * The gateway's per-attempt OPA timeout, and the delay of a slow policy engine (well past it). Generous, so a
 * decision that is merely slowed by other test files on two CPUs is not mistaken for a slow engine.
 */
const OPA_TIMEOUT_MS = 1000;
const SLOW_DECISION_MS = 2500;

/** The bundle's policy, whose decisions can be delayed. */
async function createSlowablePolicy(): Promise<PolicyEngine & { delayMs: number }> {
  const inner = await createEmbeddedEngine({ bundleDir: new URL("../../opa/bundle", import.meta.url).pathname });
  const engine = {
    kind: inner.kind,
    bundleHash: inner.bundleHash,
    delayMs: 0,
    async decide(...args: Parameters<PolicyEngine["decide"]>) {
      if (engine.delayMs > 0) await sleep(engine.delayMs, undefined, { signal: args[1]?.signal }).catch(() => undefined);
      return inner.decide(...args);
    },
    ready: () => inner.ready(),
    close: () => inner.close(),
  };
  return engine;
}

/** What a failed run reported. */
async function runFailure(call: Promise<unknown>) {
  const error = ConnectError.from(await call.then(() => new Error("the run did not fail"), (thrown: unknown) => thrown));
  const detail = findErrorDetail(error);
  return { code: error.code, detail: detail?.code, hint: detail?.terminalModeHint };
}

forEachBackend(test, "failure-mode suite", ({ backend, prefix }) => {
  let stack: Stack | undefined;
  let opa: OpaCompatibleServer | undefined;
  let opaProxy: TcpFaultProxy | undefined;
  let policy: Awaited<ReturnType<typeof createSlowablePolicy>> | undefined;
  test.before(async () => {
    policy = await createSlowablePolicy();
    opa = await startOpaCompatibleServer({ engine: policy, host: "127.0.0.1", port: 0 });
    opaProxy = await startTcpFaultProxy({ host: "127.0.0.1", port: Number(new URL(opa.url).port) });
    stack = await startStack({
      backend,
      dbFaultProxy: backend === "postgres",
      gatewayEnv: {
        PECR_OPA_URL: `http://127.0.0.1:${opaProxy.port}`,
        PECR_OPA_TIMEOUT_MS: String(OPA_TIMEOUT_MS),
        PECR_OPA_RETRY_MAX_ATTEMPTS: "0",
        // Each test decides whether the engine answers; an open circuit would blur down into slow.
        PECR_OPA_CIRCUIT_BREAKER_FAILURE_THRESHOLD: "1000",
        // The default ledger bound: the dropped-connections case asserts that calls end within it.
        PECR_LEDGER_WRITE_TIMEOUT_MS: "2000",
      },
    });
  });
  test.after.always(async () => {
    await stack?.close();
    await opaProxy?.close();
    await opa?.close();
    await policy?.close();
  });

  test.serial(`${prefix}failure modes: a policy deny ends a run INSUFFICIENT_PERMISSION; an unknown principal's run is refused`, async (t) => {
    const controller = stack!.controller;
    const guest = await controller.client("guest").run({ query: QUESTION });
    t.is(guest.terminalMode, TerminalMode.INSUFFICIENT_PERMISSION);
    t.is(guest.stats?.stopReason, StopReason.OPERATOR_ERROR);
    t.deepEqual(await runFailure(controller.client("mallory").run({ query: QUESTION })), {
      code: Code.PermissionDenied,
      detail: "ERR_POLICY_DENIED",
      hint: TerminalMode.INSUFFICIENT_PERMISSION,
    });
    t.regex(await stack!.metrics("controller"), /^pecr_controller_terminal_modes_total\{terminal_mode="INSUFFICIENT_PERMISSION"\} [1-9]/m);
  });

  test.serial(`${prefix}failure modes: a run out of operator calls stops on the budget; the gateway refuses the call past it`, async (t) => {
    const s = stack!;
    const run = await s.controller.client("dev").run({ query: QUESTION, budget: { ...DEFAULT_BUDGET, maxOperatorCalls: 1 } });
    t.is(run.stats?.stopReason, StopReason.BUDGET_MAX_OPERATOR_CALLS);
    t.true(run.stats?.budgetViolation);
    t.is(run.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    t.regex(await s.metrics("controller"), /^pecr_controller_budget_violations_total [1-9]/m);

    const dev = s.gateway("dev");
    const session = await openTestSession(dev, { budget: { ...DEFAULT_BUDGET, maxOperatorCalls: 1 } });
    await dev.listVersions({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options);
    t.like(await failure(dev.listVersions({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)), {
      code: Code.ResourceExhausted,
      detail: "ERR_BUDGET_EXCEEDED",
      hint: TerminalMode.INSUFFICIENT_EVIDENCE,
    });
    const events = await allEvents(s.gateway("auditor"), { sessionId: session.sessionId });
    t.true(events.some((record) => record.event?.payload.case === "budgetViolation"));
    t.regex(await s.metrics("gateway"), /^pecr_gateway_budget_violations_total [1-9]/m);
  });

  test.serial(`${prefix}failure modes: a policy engine that is down fails the run Unavailable with SOURCE_UNAVAILABLE, and runs recover`, async (t) => {
    const s = stack!;
    opaProxy!.cut();
    t.teardown(() => opaProxy!.restore());
    t.deepEqual(await runFailure(s.controller.client("dev").run({ query: QUESTION })), {
      code: Code.Unavailable,
      detail: "ERR_SOURCE_UNAVAILABLE",
      hint: TerminalMode.SOURCE_UNAVAILABLE,
    });
    t.is((await fetch(`${s.gatewayUrl}/readyz`)).status, 503);
    await opaProxy!.restore();
    t.is((await s.controller.client("dev").run({ query: QUESTION })).terminalMode, TerminalMode.SUPPORTED);
  });

  test.serial(`${prefix}failure modes: a policy engine slower than the timeout fails the run DeadlineExceeded with SOURCE_UNAVAILABLE`, async (t) => {
    const s = stack!;
    policy!.delayMs = SLOW_DECISION_MS;
    t.teardown(() => (policy!.delayMs = 0));
    t.deepEqual(await runFailure(s.controller.client("dev").run({ query: QUESTION })), {
      code: Code.DeadlineExceeded,
      detail: "ERR_SOURCE_TIMEOUT",
      hint: TerminalMode.SOURCE_UNAVAILABLE,
    });
    policy!.delayMs = 0;
    t.is((await s.controller.client("dev").run({ query: QUESTION })).terminalMode, TerminalMode.SUPPORTED);
  });

  if (backend === "postgres") {
    test.serial(`${prefix}failure modes: Postgres going away mid-run fails with SOURCE_UNAVAILABLE and leaves no half-written call`, async (t) => {
      const s = stack!;
      const proxy = s.dbProxy!;
      t.teardown(() => proxy.restore());
      const dev = s.gateway("dev");
      const before = await openTestSession(dev);
      await dev.fetchSpan({ sessionId: before.sessionId, params: { objectId: "public/public_1.txt" } }, before.options);

      // Cut the database as soon as the run's session exists: its operator calls and finalize hit the outage.
      const midRun = runFailure(
        (async () => {
          for await (const event of s.controller.client("dev").runStream({ query: QUESTION })) {
            if (event.event.case === "sessionStarted") proxy.cut();
          }
        })(),
      );
      t.like(await midRun, { hint: TerminalMode.SOURCE_UNAVAILABLE });
      t.true(proxy.isCut);
      t.like(await failure(dev.fetchSpan({ sessionId: before.sessionId, params: { objectId: "public/public_1.txt" } }, before.options)), {
        code: Code.Unavailable,
        hint: TerminalMode.SOURCE_UNAVAILABLE,
      });
      t.like(await runFailure(s.controller.client("dev").run({ query: QUESTION })), { code: Code.Unavailable, hint: TerminalMode.SOURCE_UNAVAILABLE });
      t.is((await fetch(`${s.gatewayUrl}/readyz`)).status, 503);

      await proxy.restore();
      t.is((await s.controller.client("dev").run({ query: QUESTION })).terminalMode, TerminalMode.SUPPORTED);
      // The session opened before the outage is usable again.
      await dev.fetchSpan({ sessionId: before.sessionId, params: { objectId: "public/public_1.txt" } }, before.options);
      const auditor = s.gateway("auditor");
      await assertLedgerVerifies(t, auditor);
      const stored = await s.sql!<{ evidence_unit_id: string }[]>`SELECT evidence_unit_id FROM pecr_evidence_units`;
      t.deepEqual(halfWrittenCalls(await allEvents(auditor), new Set(stored.map((row) => row.evidence_unit_id))), []);
    });
  }

  if (backend === "postgres") {
    // Known bug (see the report): ledger queries are not bounded by PECR_LEDGER_WRITE_TIMEOUT_MS, and postgres.js
    // waits forever for a connection when every new one is accepted and dropped, so the RPC never ends.
    test.serial(`${prefix}failure modes: a database that accepts and drops connections still fails calls within the ledger timeout`, async (t) => {
      const s = stack!;
      const proxy = s.dbProxy!;
      const dev = s.gateway("dev");
      const session = await openTestSession(dev);
      proxy.cut("reset");
      t.teardown(() => proxy.restore());
      // The gateway's ledger bound is 2 s; a client deadline of 8 s tells "the server answered" from "it hung".
      // The first call fails on the dropped pooled connection; the later ones need a new connection.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const reported = await failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, { ...session.options, timeoutMs: 8000 }));
        t.is(reported.hint, TerminalMode.SOURCE_UNAVAILABLE, `call ${attempt}: no server error within 8 s (${reported.message})`);
      }
    });

    test.serial(`${prefix}failure modes: after a long outage the gateway serves again within seconds of the database returning`, async (t) => {
      const s = stack!;
      const proxy = s.dbProxy!;
      const dev = s.gateway("dev");
      const session = await openTestSession(dev);
      const fetch = (timeoutMs: number) =>
        dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, { ...session.options, timeoutMs });
      proxy.cut();
      t.teardown(() => proxy.restore());
      // Every refused connection lengthens the driver's reconnect backoff (by default up to 20 s): keep calling
      // through a few seconds of outage, as clients do.
      const outageEnds = performance.now() + 5000;
      while (performance.now() < outageEnds) {
        t.is((await failure(fetch(8000))).hint, TerminalMode.SOURCE_UNAVAILABLE);
        await sleep(100);
      }
      await proxy.restore();
      const restoredAt = performance.now();
      let served = false;
      while (!served && performance.now() - restoredAt < 20_000) {
        served = await fetch(2000).then(() => true, () => false);
        if (!served) await sleep(100);
      }
      const seconds = (performance.now() - restoredAt) / 1000;
      t.true(served, "the gateway never served again");
      // The reconnect delay is capped at 1 s; the margin is for two shared CPUs.
      t.true(seconds < 5, `served again ${seconds.toFixed(1)} s after the database returned`);
    });
  }

  test.serial(`${prefix}failure modes: after every fault the ledger chain verifies and holds no half-written call`, async (t) => {
    const auditor = stack!.gateway("auditor");
    await assertLedgerVerifies(t, auditor);
    t.deepEqual(halfWrittenCalls(await allEvents(auditor)), []);
  });
});
