/**
 * /proc readings used by the benchmarks: this process's own CPU and memory, and the whole machine's busy time.
 */
import test from "ava";
import { readCpuSeconds, readMachineBusySeconds, readRssBytes } from "./proc-stats.js";

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) Math.sqrt(Math.random());
}

test("a process's CPU and the machine's busy time both advance by at least the CPU this test burns", async (t) => {
  const ownBefore = await readCpuSeconds(process.pid);
  const machineBefore = await readMachineBusySeconds();
  t.true(ownBefore !== undefined && machineBefore !== undefined && machineBefore > 0);
  spin(300);
  const own = (await readCpuSeconds(process.pid))! - ownBefore!;
  const machine = (await readMachineBusySeconds())! - machineBefore!;
  // Accounting is in 10 ms ticks: 300 ms of spinning shows as at least 0.2 s in both.
  t.true(own >= 0.2, `process ${own} s`);
  t.true(machine >= own - 0.02, `machine ${machine} s, process ${own} s`);
});

test("readings of a process that does not exist are undefined, not zero", async (t) => {
  t.is(await readCpuSeconds(2 ** 30), undefined);
  t.is(await readRssBytes(2 ** 30), undefined);
  t.true(((await readRssBytes(process.pid)) ?? 0) > 1024 * 1024);
});
