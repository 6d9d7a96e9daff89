/**
 * Resource readings of another process from Linux /proc, for benchmarks that report the memory and CPU of the
 * services they load. Each reading is undefined where /proc is unavailable or the process has exited.
 */
import { readFile } from "node:fs/promises";

/** USER_HZ of Linux /proc accounting (100 on every mainstream kernel configuration). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Resident set size of process `pid` in bytes. */
export async function readRssBytes(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) process `pid` has used, in seconds. */
export async function readCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU time the whole machine spent busy (every process, every core: user, nice, system, irq, softirq), seconds. */
export async function readMachineBusySeconds(): Promise<number | undefined> {
  try {
    const stat = await readFile("/proc/stat", "utf8");
    const fields = (/^cpu\s+(.*)$/m.exec(stat)?.[1] ?? "").split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal ...: idle, iowait and steal (another guest's time) are not ours.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
    return (user + nice + system + irq + softirq) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
