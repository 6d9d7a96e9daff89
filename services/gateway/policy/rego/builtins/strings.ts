/**
 * String builtins, with Go's semantics (OPA's): strings are indexed by code point (rune), `split` with an
 * empty separator splits into runes, `trim` takes a cutset, `replace_n` replaces in one left-to-right pass.
 */
import { BuiltinError } from "../errors.js";
import { isInteger, RObject, RSet, toBigInt, toFloat, typeName, type Value } from "../value.js";
import { int, num, oneOf, runes, str, stringsOf } from "./args.js";
import { def, operandError, type BuiltinDef } from "./types.js";


function trimLeftSet(s: string, cut: Set<string>): string {
  const rs = runes(s);
  let i = 0;
  while (i < rs.length && cut.has(rs[i] as string)) i++;
  return rs.slice(i).join("");
}

function trimRightSet(s: string, cut: Set<string>): string {
  const rs = runes(s);
  let j = rs.length;
  while (j > 0 && cut.has(rs[j - 1] as string)) j--;
  return rs.slice(0, j).join("");
}

/** Runs of Go's unicode.IsSpace characters at either end of a string. */
const SPACE_EDGES = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;

function trimSpace(s: string): string {
  return s.replace(SPACE_EDGES, "");
}


/** Go's strings.Split. */
export function goSplit(s: string, sep: string): string[] {
  if (sep === "") return runes(s);
  return s.split(sep);
}

/** Rune index of a UTF-16 index. */
function runeIndex(s: string, utf16: number): number {
  return runes(s.slice(0, utf16)).length;
}

/** Strings of a string / array / set operand (for any_prefix_match and any_suffix_match). */
function stringOrStrings(args: Value[], pos: number): string[] {
  const v = args[pos - 1] as Value;
  if (typeof v === "string") return [v];
  if (Array.isArray(v) || v instanceof RSet) return stringsOf(args, pos);
  throw oneOf(pos, ["string", "set", "array"], v);
}

function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const all = goSplit(s, sep);
  if (n > 0) return all.slice(0, n);
  const m = -n;
  if (all.length <= m) return all;
  return all.slice(all.length - m);
}

/** Go's strings.NewReplacer(...).Replace: one left-to-right pass; at each position the first pattern wins. */
function replaceMany(s: string, pairs: [string, string][]): string {
  let out = "";
  let i = 0;
  outer: while (i <= s.length) {
    for (const [from, to] of pairs) {
      if (from === "") continue;
      if (s.startsWith(from, i)) {
        out += to;
        i += from.length;
        continue outer;
      }
    }
    if (i < s.length) out += s[i];
    i++;
  }
  return out;
}

function formatInt(args: Value[]): string {
  const n = num(args, 1);
  const base = num(args, 2);
  const b = Number(base);
  if (![2, 8, 10, 16].includes(b) || !isInteger(base)) throw new BuiltinError("operand 2 must be one of {2, 8, 10, 16}", "type");
  let i: bigint;
  if (isInteger(n)) i = toBigInt(n) as bigint;
  else i = BigInt(Math.trunc(toFloat(n)));
  return i.toString(b);
}

function toNumber([v]: Value[]): Value {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (typeof v === "string") {
    const t = v.trim();
    if (t !== v || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
      throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    if (/^[+-]?\d+$/.test(v)) {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : BigInt(v);
    }
    return Number(v);
  }
  throw oneOf(1, ["null", "boolean", "number", "string"], v as Value);
}

/** String builtins. */
export const stringBuiltins: BuiltinDef[] = [
  def("concat", 2, (args) => stringsOf(args, 2).join(str(args, 1))),
  def("contains", 2, (args) => str(args, 1).includes(str(args, 2))),
  def("startswith", 2, (args) => str(args, 1).startsWith(str(args, 2))),
  def("endswith", 2, (args) => str(args, 1).endsWith(str(args, 2))),
  def("strings.any_prefix_match", 2, (args) => {
    const xs = stringOrStrings(args, 1);
    const ps = stringOrStrings(args, 2);
    return xs.some((x) => ps.some((p) => x.startsWith(p)));
  }),
  def("strings.any_suffix_match", 2, (args) => {
    const xs = stringOrStrings(args, 1);
    const ps = stringOrStrings(args, 2);
    return xs.some((x) => ps.some((p) => x.endsWith(p)));
  }),
  def("format_int", 2, formatInt),
  def("indexof", 2, (args) => {
    const s = str(args, 1);
    const i = s.indexOf(str(args, 2));
    return i < 0 ? -1 : runeIndex(s, i);
  }),
  def("indexof_n", 2, (args) => {
    const s = str(args, 1);
    const sub = str(args, 2);
    const out: Value[] = [];
    if (sub === "") return out;
    for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) out.push(runeIndex(s, i));
    return out;
  }),
  def("lower", 1, (args) => str(args, 1).toLowerCase()),
  def("upper", 1, (args) => str(args, 1).toUpperCase()),
  def("replace", 3, (args) => {
    const s = str(args, 1);
    const from = str(args, 2);
    const to = str(args, 3);
    if (from === "") return runes(s).reduce((acc, r) => acc + r + to, to);
    return s.split(from).join(to);
  }),
  def("strings.replace_n", 2, (args) => {
    const v = args[0] as Value;
    if (!(v instanceof RObject)) throw operandError(1, "object", v);
    const pairs: [string, string][] = [];
    for (const [k, x] of v.entries()) {
      if (typeof k !== "string") throw new BuiltinError(`operand 1 keys must be strings but got ${typeName(k)}`, "type");
      if (typeof x !== "string") throw new BuiltinError(`operand 1 values must be strings but got ${typeName(x)}`, "type");
      pairs.push([k, x]);
    }
    return replaceMany(str(args, 2), pairs);
  }),
  def("strings.reverse", 1, (args) => {
    const v = args[0] as Value;
    if (typeof v !== "string") throw new BuiltinError(`reverse: operand 1 must be string but got ${typeName(v)}`, "type");
    return runes(v).reverse().join("");
  }),
  def("strings.count", 2, (args) => {
    const s = str(args, 1);
    const sub = str(args, 2);
    if (sub === "") return runes(s).length + 1;
    return s.split(sub).length - 1;
  }),
  def("split", 2, (args) => goSplit(str(args, 1), str(args, 2))),
  def("strings.split_n", 3, (args) => splitN(str(args, 1), str(args, 2), int(args, 3))),
  def("substring", 3, (args) => {
    const rs = runes(str(args, 1));
    const start = int(args, 2);
    const length = int(args, 3);
    if (start < 0) throw new BuiltinError("negative offset");
    if (start >= rs.length) return "";
    const end = length < 0 ? rs.length : Math.min(rs.length, start + length);
    return rs.slice(start, end).join("");
  }),
  def("trim", 2, (args) => {
    const cut = new Set(runes(str(args, 2)));
    return trimRightSet(trimLeftSet(str(args, 1), cut), cut);
  }),
  def("trim_left", 2, (args) => trimLeftSet(str(args, 1), new Set(runes(str(args, 2))))),
  def("trim_right", 2, (args) => trimRightSet(str(args, 1), new Set(runes(str(args, 2))))),
  def("trim_prefix", 2, (args) => {
    const s = str(args, 1);
    const p = str(args, 2);
    return s.startsWith(p) ? s.slice(p.length) : s;
  }),
  def("trim_suffix", 2, (args) => {
    const s = str(args, 1);
    const p = str(args, 2);
    return p !== "" && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  }),
  def("trim_space", 1, (args) => trimSpace(str(args, 1))),
  def("to_number", 1, toNumber),
];
