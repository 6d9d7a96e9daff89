/**
 * CIDR builtins: net.cidr_contains, cidr_intersects, cidr_expand, cidr_merge, cidr_contains_matches,
 * cidr_is_valid. Addresses are bigints with a bit width (32 or 128), as Go's net package parses them.
 */
import { BuiltinError } from "../errors.js";
import { RObject, RSet, typeName, type Value } from "../value.js";
import { str } from "./args.js";
import { def, operandError, type BuiltinDef } from "./types.js";

interface Net {
  readonly bits: 32 | 128;
  readonly addr: bigint;
  readonly prefix: number;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".") && lastColon >= 0) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    const body = text.slice(0, lastColon + 1);
    text = body.endsWith("::") ? body : body.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (h: string): bigint[] | undefined => {
    if (h === "") return [];
    const groups = h.split(":");
    const out: bigint[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  const head = parse(halves[0] as string);
  const rest = halves.length === 2 ? parse(halves[1] as string) : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    groups = [...head, ...new Array<bigint>(8 - given).fill(0n), ...rest, ...tail];
  } else {
    if (given !== 8) return undefined;
    groups = [...head, ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function parseIP(s: string): { bits: 32 | 128; addr: bigint } | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { bits: 32, addr: v4 };
  if (!s.includes(":")) return undefined;
  const v6 = parseIPv6(s);
  return v6 === undefined ? undefined : { bits: 128, addr: v6 };
}

function mask(bits: number, prefix: number): bigint {
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function parseCIDR(s: string): Net {
  const slash = s.indexOf("/");
  if (slash < 0) throw new BuiltinError(`invalid CIDR address: ${s}`);
  const ip = parseIP(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(p) || Number(p) > ip.bits) throw new BuiltinError(`invalid CIDR address: ${s}`);
  const prefix = Number(p);
  return { bits: ip.bits, addr: ip.addr & mask(ip.bits, prefix), prefix };
}

/** A CIDR, or an IP as a host network (/32 or /128). */
function parseCIDROrIP(s: string): Net {
  if (s.includes("/")) return parseCIDR(s);
  const ip = parseIP(s);
  if (ip === undefined) throw new BuiltinError(`invalid IP address: ${s}`);
  return { bits: ip.bits, addr: ip.addr, prefix: ip.bits };
}

function formatIP(bits: number, addr: bigint): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((sh) => String((addr >> sh) & 0xffn)).join(".");
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((addr >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

function range(n: Net): [bigint, bigint] {
  const size = 1n << BigInt(n.bits - n.prefix);
  return [n.addr, n.addr + size - 1n];
}

function contains(a: Net, b: Net): boolean {
  if (a.bits !== b.bits) return false;
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b0 && b1 <= a1;
}

function intersects(a: Net, b: Net): boolean {
  if (a.bits !== b.bits) return false;
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}

/** Go's net.IP.DefaultMask: classful prefix for IPv4 addresses given without a mask. */
function defaultPrefix(bits: number, addr: bigint): number {
  if (bits === 128) return 128;
  const first = Number(addr >> 24n);
  if (first < 0x80) return 8;
  if (first < 0xc0) return 16;
  return 24;
}

function merge(nets: Net[]): Net[] {
  const out: Net[] = [];
  for (const bits of [32, 128] as const) {
    let list = nets.filter((n) => n.bits === bits).sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : x.prefix - y.prefix));
    let changed = true;
    while (changed) {
      changed = false;
      const next: Net[] = [];
      for (const n of list) {
        const last = next[next.length - 1];
        if (last !== undefined && contains(last, n)) {
          changed = true;
          continue;
        }
        if (last !== undefined && last.prefix === n.prefix && last.prefix > 0) {
          const parentPrefix = last.prefix - 1;
          const parentAddr = last.addr & mask(bits, parentPrefix);
          if (parentAddr === last.addr && (n.addr & mask(bits, parentPrefix)) === parentAddr) {
            next[next.length - 1] = { bits, addr: parentAddr, prefix: parentPrefix };
            changed = true;
            continue;
          }
        }
        next.push(n);
      }
      list = next.sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : x.prefix - y.prefix));
    }
    out.push(...list);
  }
  return out;
}

/** Keyed CIDR entries of a cidr_contains_matches operand. */
function matchEntries(v: Value, pos: number): [Value, string][] {
  const cidrOf = (x: Value): string => {
    if (typeof x === "string") return x;
    if (Array.isArray(x) && x.length > 0 && typeof x[0] === "string") return x[0];
    throw new BuiltinError(`operand ${pos}: element must be string or non-empty array`);
  };
  if (typeof v === "string") return [[v, v]];
  if (Array.isArray(v)) return v.map((x, i) => [i, cidrOf(x)]);
  if (v instanceof RSet) return v.values().map((x) => [x, cidrOf(x)]);
  if (v instanceof RObject) return v.entries().map(([k, x]) => [k, cidrOf(x)]);
  throw new BuiltinError(`operand ${pos} must be one of {string, array, set, object} but got ${typeName(v)}`, "type");
}

/** CIDR builtins. */
export const netBuiltins: BuiltinDef[] = [
  def("net.cidr_contains", 2, (args) => contains(parseCIDR(str(args, 1)), parseCIDROrIP(str(args, 2)))),
  def("net.cidr_intersects", 2, (args) => intersects(parseCIDR(str(args, 1)), parseCIDR(str(args, 2)))),
  def("net.cidr_is_valid", 1, ([v]) => {
    if (typeof v !== "string") return false;
    try {
      parseCIDR(v);
      return true;
    } catch {
      return false;
    }
  }),
  def("net.cidr_expand", 1, (args) => {
    const n = parseCIDR(str(args, 1));
    if (n.bits - n.prefix > 20) throw new BuiltinError("CIDR expands to too many addresses");
    const [lo, hi] = range(n);
    const out = new RSet();
    for (let a = lo; a <= hi; a++) out.add(formatIP(n.bits, a));
    return out;
  }),
  def("net.cidr_merge", 1, ([v]) => {
    const items = Array.isArray(v) ? v : v instanceof RSet ? v.values() : undefined;
    if (items === undefined) throw new BuiltinError(`operand 1 must be one of {array, set} but got ${typeName(v as Value)}`, "type");
    const nets = items.map((x) => {
      if (typeof x !== "string") throw operandError(1, "array of strings", x);
      if (x.includes("/")) return parseCIDR(x);
      const ip = parseIP(x);
      if (ip === undefined) throw new BuiltinError(`invalid IP address: ${x}`);
      const prefix = defaultPrefix(ip.bits, ip.addr);
      return { bits: ip.bits, addr: ip.addr & mask(ip.bits, prefix), prefix };
    });
    return merge(nets).map((n) => `${formatIP(n.bits, n.addr)}/${n.prefix}`);
  }),
  def("net.cidr_contains_matches", 2, ([a, b]) => {
    const left = matchEntries(a as Value, 1);
    const right = matchEntries(b as Value, 2);
    const out = new RSet();
    for (const [ka, ca] of left) {
      const na = parseCIDR(ca);
      for (const [kb, cb] of right) if (contains(na, parseCIDROrIP(cb))) out.add([ka, kb]);
    }
    return out;
  }),
];
