/**
 * uuid.parse / uuid.rfc4122, semver.is_valid / semver.compare, rand.intn. The nondeterministic ones
 * (uuid.rfc4122, rand.intn) return the same value for the same arguments within one evaluation, as OPA's do.
 */
import { randomInt, randomUUID } from "node:crypto";
import { BuiltinError } from "../errors.js";
import { isInteger, RObject, toBigInt, type Value } from "../value.js";
import { num, str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

const UUID_RE = /^(?:urn:uuid:)?\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/;
/** 100-ns intervals between 1582-10-15 and the Unix epoch. */
const GREGORIAN_OFFSET = 0x01b21dd213814000n;

function parseUuid(s: string): RObject | undefined {
  const m = UUID_RE.exec(s);
  if (m === null) return undefined;
  const bytes = Buffer.from(m.slice(1).join(""), "hex");
  const version = (bytes[6] as number) >> 4;
  const b8 = bytes[8] as number;
  const variant = (b8 & 0xc0) === 0x80 ? "RFC4122" : (b8 & 0xe0) === 0xc0 ? "Microsoft" : (b8 & 0xe0) === 0xe0 ? "Future" : "Reserved";
  const out = new RObject();
  out.set("version", version);
  out.set("variant", variant);
  if (version === 1 || version === 2) {
    const timeLow = BigInt(bytes.readUInt32BE(0));
    const timeMid = BigInt(bytes.readUInt16BE(4));
    const timeHi = BigInt(bytes.readUInt16BE(6) & 0x0fff);
    const t = timeLow | (timeMid << 32n) | (timeHi << 48n);
    out.set("time", Number((t - GREGORIAN_OFFSET) * 100n));
    out.set("clocksequence", bytes.readUInt16BE(8) & 0x3fff);
    const node = [...bytes.subarray(10, 16)].map((b) => b.toString(16).padStart(2, "0"));
    out.set("nodeid", node.join("-"));
    const first = bytes[10] as number;
    out.set("macvariables", `${first & 0x02 ? "local" : "global"}:${first & 0x01 ? "multicast" : "unicast"}`);
    if (version === 2) {
      out.set("id", bytes.readUInt32BE(0));
      const domain = bytes[9] as number;
      out.set("domain", domain === 0 ? "Person" : domain === 1 ? "Group" : domain === 2 ? "Org" : `Domain${domain}`);
    }
  }
  return out;
}

interface SemVer {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: readonly string[];
}

const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

function parseSemver(s: string): SemVer | undefined {
  const m = SEMVER_RE.exec(s);
  if (m === null) return undefined;
  return { major: BigInt(m[1] as string), minor: BigInt(m[2] as string), patch: BigInt(m[3] as string), pre: m[4] === undefined ? [] : m[4].split(".") };
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSemver(a: SemVer, b: SemVer): number {
  const c = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (c !== 0) return c;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i] as string;
    const y = b.pre[i] as string;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = cmp(BigInt(x), BigInt(y));
      if (d !== 0) return d;
    } else if (xn !== yn) return xn ? -1 : 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return a.pre.length === b.pre.length ? 0 : a.pre.length < b.pre.length ? -1 : 1;
}

function semverArg(args: Value[], pos: number): SemVer {
  const s = str(args, pos);
  const v = parseSemver(s);
  if (v === undefined) throw new BuiltinError(`operand ${pos}: string ${JSON.stringify(s)} is not a valid SemVer`);
  return v;
}

/**
 * Creates the nondeterministic builtins with a memo shared by one evaluation's calls (same arguments, same
 * result). The memo is per registry: the embedded engine creates a registry per policy load.
 */
function memoised(): BuiltinDef[] {
  const memo = new WeakMap<object, Map<string, Value>>();
  const get = (scope: object, key: string, make: () => Value): Value => {
    let m = memo.get(scope);
    if (m === undefined) memo.set(scope, (m = new Map()));
    let v = m.get(key);
    if (v === undefined) m.set(key, (v = make()));
    return v;
  };
  return [
    def("uuid.rfc4122", 1, (args, ctx) => get(ctx, `uuid:${str(args, 1)}`, () => randomUUID())),
    def("rand.intn", 2, (args, ctx) => {
      const key = str(args, 1);
      const n = num(args, 2);
      if (!isInteger(n)) throw new BuiltinError("operand 2 must be integer number but got floating-point number", "type");
      const max = Number(toBigInt(n) as bigint);
      if (max === 0) return 0;
      const bound = Math.abs(max);
      return get(ctx, `rand:${key}:${bound}`, () => randomInt(bound));
    }),
  ];
}

/** UUID, SemVer and random builtins. */
export function uuidSemverBuiltins(): BuiltinDef[] {
  return [
    def("uuid.parse", 1, (args) => parseUuid(str(args, 1))),
    def("semver.is_valid", 1, ([v]) => typeof v === "string" && parseSemver(v) !== undefined),
    def("semver.compare", 2, (args) => compareSemver(semverArg(args, 1), semverArg(args, 2))),
    ...memoised(),
  ];
}
