/**
 * units.parse (SI and IEC suffixes, `m` = milli) and units.parse_bytes (byte sizes, integer result), with
 * exact arithmetic so that e.g. `10Ei` gives 11529215046068469760 exactly.
 */
import { BuiltinError } from "../errors.js";
import { normInt, type Value } from "../value.js";
import { str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

const K = 1000n;
const KI = 1024n;

/** Multiplier as numerator/denominator. */
type Scale = readonly [bigint, bigint];

const PARSE_UNITS: Record<string, Scale> = {
  "": [1n, 1n],
  m: [1n, 1000n],
  k: [K, 1n],
  K: [K, 1n],
  ki: [KI, 1n],
  Ki: [KI, 1n],
  M: [K ** 2n, 1n],
  mi: [KI ** 2n, 1n],
  Mi: [KI ** 2n, 1n],
  g: [K ** 3n, 1n],
  G: [K ** 3n, 1n],
  gi: [KI ** 3n, 1n],
  Gi: [KI ** 3n, 1n],
  t: [K ** 4n, 1n],
  T: [K ** 4n, 1n],
  ti: [KI ** 4n, 1n],
  Ti: [KI ** 4n, 1n],
  p: [K ** 5n, 1n],
  P: [K ** 5n, 1n],
  pi: [KI ** 5n, 1n],
  Pi: [KI ** 5n, 1n],
  e: [K ** 6n, 1n],
  E: [K ** 6n, 1n],
  ei: [KI ** 6n, 1n],
  Ei: [KI ** 6n, 1n],
};

const BYTE_UNITS: Record<string, bigint> = {
  "": 1n,
  b: 1n,
  k: K,
  kb: K,
  ki: KI,
  kib: KI,
  m: K ** 2n,
  mb: K ** 2n,
  mi: KI ** 2n,
  mib: KI ** 2n,
  g: K ** 3n,
  gb: K ** 3n,
  gi: KI ** 3n,
  gib: KI ** 3n,
  t: K ** 4n,
  tb: K ** 4n,
  ti: KI ** 4n,
  tib: KI ** 4n,
  p: K ** 5n,
  pb: K ** 5n,
  pi: KI ** 5n,
  pib: KI ** 5n,
  e: K ** 6n,
  eb: K ** 6n,
  ei: KI ** 6n,
  eib: KI ** 6n,
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** Splits "1.5e3Ki" into "1.5e3" and "Ki" (an `e` is an exponent only when a digit or sign follows). */
function splitAmount(s: string): [string, string] {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (isDigit(c) || c === "." || c === "+" || c === "-") continue;
    if (c === "e" || c === "E") {
      const n = s[i + 1];
      if (isDigit(n) || n === "+" || n === "-") {
        if (n === "+" || n === "-") i++;
        continue;
      }
    }
    return [s.slice(0, i), s.slice(i)];
  }
  return [s, ""];
}

/** An exact rational from a decimal amount. */
function rational(amount: string): [bigint, bigint] {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(amount);
  if (m === null || ((m[2] ?? "") === "" && (m[3] ?? "") === "")) throw new BuiltinError("could not parse amount to a number");
  const frac = m[3] ?? "";
  const exp = Number(m[4] ?? "0") - frac.length;
  if (Math.abs(exp) > 10000) throw new BuiltinError("exponent too large");
  let num = BigInt(`${m[2] || "0"}${frac}`);
  let den = 1n;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den = 10n ** BigInt(-exp);
  if (m[1] === "-") num = -num;
  return [num, den];
}

function prepare(s: string): [string, string] {
  const unquoted = s.replace(/"/g, "");
  if (/\s/.test(unquoted)) throw new BuiltinError("spaces not allowed in resource strings");
  const [amount, unit] = splitAmount(unquoted);
  if (amount === "") throw new BuiltinError("no amount provided");
  return [amount, unit];
}

function parseUnits(args: Value[]): Value {
  const [amount, rawUnit] = prepare(str(args, 1));
  const unit = rawUnit.length > 1 ? rawUnit[0] + rawUnit.slice(1).toLowerCase() : rawUnit;
  const scale = PARSE_UNITS[unit];
  if (scale === undefined) throw new BuiltinError("unit not recognized");
  const [num, den] = rational(amount);
  const n = num * scale[0];
  const d = den * scale[1];
  if (n % d === 0n) return normInt(n / d);
  return Number(n) / Number(d);
}

function parseBytes(args: Value[]): Value {
  const [amount, unit] = prepare(str(args, 1));
  const scale = BYTE_UNITS[unit.toLowerCase()];
  if (scale === undefined) throw new BuiltinError("unit not recognized");
  const [num, den] = rational(amount);
  return normInt((num * scale) / den);
}

/** Unit builtins. */
export const unitBuiltins: BuiltinDef[] = [def("units.parse", 1, parseUnits), def("units.parse_bytes", 1, parseBytes)];
