/**
 * /proc readings used by the benchmarks: this process's own CPU and memory, and the whole machine's busy time.
 */
import test from "ava";
import { readCpuSeconds, readMachineBusySeconds, readRssBytes } from "./proc-stats.js";

/**
 * Burns `seconds` of this process's CPU time, as Node itself counts it (`process.cpuUsage`, not /proc), whatever
 * else the machine is doing: on a busy machine that takes longer than `seconds` of wall time.
 */
function burnCpu(seconds: number): number {
  const start = process.cpuUsage();
  const deadline = performance.now() + 60_000;
  let used = 0;
  while (used < seconds && performance.now() < deadline) {
    for (let i = 0; i < 10_000; i++) Math.sqrt(Math.random());
    const { user, system } = process.cpuUsage(start);
    used = (user + system) / 1e6;
  }
  return used;
}

test("a process's CPU and the machine's busy time both advance by at least the CPU this test burns", async (t) => {
  const ownBefore = await readCpuSeconds(process.pid);
  const machineBefore = await readMachineBusySeconds();
  t.true(ownBefore !== undefined && machineBefore !== undefined && machineBefore > 0);
  const burnt = burnCpu(0.3);
  const own = (await readCpuSeconds(process.pid))! - ownBefore!;
  const machine = (await readMachineBusySeconds())! - machineBefore!;
  // Accounting is in 10 ms ticks, so /proc may lag Node's own count by a tick or two.
  t.true(burnt >= 0.3, `burnt only ${burnt} s of CPU in a minute`);
  t.true(own >= burnt - 0.03, `process ${own} s, burnt ${burnt} s`);
  t.true(machine >= own - 0.02, `machine ${machine} s, process ${own} s`);
});

test("readings of a process that does not exist are undefined, not zero", async (t) => {
  t.is(await readCpuSeconds(2 ** 30), undefined);
  t.is(await readRssBytes(2 ** 30), undefined);
  t.true(((await readRssBytes(process.pid)) ?? 0) > 1024 * 1024);
});
