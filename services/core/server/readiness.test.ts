import test from "ava";
import { evaluateReadiness } from "./readiness.js";

test("no checks means ready", async (t) => {
  t.deepEqual(await evaluateReadiness(undefined), { ready: true, checks: {} });
});

test("checks come back with sorted keys; one false check means not ready", async (t) => {
  const report = await evaluateReadiness(async () => ({ postgres: true, ledger: false, opa: true }));
  t.false(report.ready);
  t.deepEqual(Object.keys(report.checks), ["ledger", "opa", "postgres"]);
  t.true((await evaluateReadiness(async () => ({ b: true, a: true }))).ready);
});

test("a check that throws or does not answer in time is not ready, with the reason kept for the log", async (t) => {
  const thrown = await evaluateReadiness(() => Promise.reject(new Error("down")));
  t.false(thrown.ready);
  t.is((thrown.error as Error).message, "down");
  const hung = await evaluateReadiness(() => new Promise(() => {}), 10);
  t.false(hung.ready);
  t.regex((hung.error as Error).message, /exceeded 10 ms/);
});
