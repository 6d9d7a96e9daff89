/**
 * `sprintf` with Go's fmt verbs as OPA uses them: operands become Go values first (integers → big.Int,
 * other numbers → float64, strings → string, everything else → its Rego text), then the format applies.
 * Written here because no npm package implements Go's fmt semantics (`%v` of a big.Int, `%!d(string=x)`
 * error text, `%q` quoting) closely enough.
 */
import { BuiltinError } from "../errors.js";
import { formatBigInt, formatValue } from "../value-json.js";
import { isInteger, toBigInt, type Value } from "../value.js";
import { arr, str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

type GoValue = { kind: "int"; v: bigint } | { kind: "float"; v: number } | { kind: "string"; v: string } | { kind: "bool"; v: boolean } | { kind: "other"; v: string };

function toGo(v: Value): GoValue {
  if (typeof v === "string") return { kind: "string", v };
  if (typeof v === "number" || typeof v === "bigint") {
    if (isInteger(v)) return { kind: "int", v: toBigInt(v) as bigint };
    return { kind: "float", v };
  }
  return { kind: "other", v: formatValue(v) };
}

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  const w = spec.width;
  if (w === undefined || [...s].length >= w) return s;
  const fill = w - [...s].length;
  if (spec.minus) return s + " ".repeat(fill);
  if (spec.zero && numeric) {
    const sign = s[0] === "-" || s[0] === "+" ? (s[0] as string) : "";
    return sign + "0".repeat(fill) + s.slice(sign.length);
  }
  return " ".repeat(fill) + s;
}

function signed(s: string, negative: boolean, spec: Spec): string {
  if (negative) return "-" + s;
  if (spec.plus) return "+" + s;
  if (spec.space) return " " + s;
  return s;
}

/** Go's %g / %v formatting of a float64 (shortest repr, exponent when < 1e-4 or >= 1e21). */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : "-Inf";
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) return goExp(f, undefined, "e", true);
  return String(f);
}

function goExp(f: number, prec: number | undefined, e: string, shortest: boolean): string {
  let s = shortest ? f.toExponential() : f.toExponential(prec ?? 6);
  s = s.replace(/e([+-])(\d)$/, "e$10$2");
  return e === "E" ? s.toUpperCase() : s;
}

function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

function bad(verb: string, g: GoValue): string {
  const type = g.kind === "int" ? "int" : g.kind === "float" ? "float64" : g.kind === "string" ? "string" : g.kind === "bool" ? "bool" : "ast.Value";
  return `%!${verb}(${type}=${g.kind === "float" ? goFloat(g.v) : String(g.v)})`;
}

function formatOne(verb: string, g: GoValue, spec: Spec): string {
  switch (verb) {
    case "v":
      if (g.kind === "float") return pad(goFloat(g.v), spec, true);
      if (g.kind === "int") return pad(signed(formatBigInt(g.v < 0n ? -g.v : g.v), g.v < 0n, spec), spec, true);
      return pad(String(g.v), spec, false);
    case "s":
      if (g.kind === "int") return pad(g.v.toString(), spec, false);
      if (g.kind === "float") return bad(verb, g);
      return pad(spec.prec === undefined ? String(g.v) : [...String(g.v)].slice(0, spec.prec).join(""), spec, false);
    case "d":
      if (g.kind !== "int") return bad(verb, g);
      return pad(signed((g.v < 0n ? -g.v : g.v).toString(), g.v < 0n, spec), spec, true);
    case "b":
    case "o":
    case "x":
    case "X": {
      const base = verb === "b" ? 2 : verb === "o" ? 8 : 16;
      if (g.kind === "int") {
        let s = (g.v < 0n ? -g.v : g.v).toString(base);
        if (verb === "X") s = s.toUpperCase();
        if (spec.sharp && base === 16) s = (verb === "X" ? "0X" : "0x") + s;
        return pad(signed(s, g.v < 0n, spec), spec, true);
      }
      if (g.kind === "string" && base === 16) {
        const hex = Buffer.from(g.v, "utf8").toString("hex");
        return pad(verb === "X" ? hex.toUpperCase() : hex, spec, false);
      }
      return bad(verb, g);
    }
    case "f":
    case "F":
    case "e":
    case "E":
    case "g":
    case "G": {
      let f: number;
      if (g.kind === "float") f = g.v;
      else if (g.kind === "int") return bad(verb, g);
      else return bad(verb, g);
      const neg = f < 0 || Object.is(f, -0);
      const a = Math.abs(f);
      let s: string;
      if (verb === "f" || verb === "F") s = a.toFixed(spec.prec ?? 6);
      else if (verb === "e" || verb === "E") s = goExp(a, spec.prec ?? 6, verb, false);
      else s = spec.prec === undefined ? goFloat(a) : String(Number(a.toPrecision(spec.prec)));
      return pad(signed(s, neg, spec), spec, true);
    }
    case "t":
      return g.kind === "other" && (g.v === "true" || g.v === "false") ? pad(g.v, spec, false) : bad(verb, g);
    case "q":
      if (g.kind === "string") return pad(goQuote(g.v), spec, false);
      return bad(verb, g);
    case "c":
      if (g.kind === "int") return pad(String.fromCodePoint(Number(g.v)), spec, false);
      return bad(verb, g);
    default:
      return `%!${verb}(${g.kind === "string" ? "string" : "ast.Value"}=${String(g.v)})`;
  }
}

/** Formats `format` with operands as Go's fmt.Sprintf would. */
export function goSprintf(format: string, values: Value[]): string {
  const args = values.map(toGo);
  let out = "";
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string;
    if (c !== "%") {
      out += c;
      continue;
    }
    i++;
    if (format[i] === "%") {
      out += "%";
      continue;
    }
    const spec: Spec = { minus: false, plus: false, space: false, zero: false, sharp: false, width: undefined, prec: undefined };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = true;
      else if (f === "#") spec.sharp = true;
      else break;
    }
    let w = "";
    while (i < format.length && /[0-9]/.test(format[i] as string)) w += format[i++];
    if (w !== "") spec.width = Number(w);
    if (format[i] === ".") {
      i++;
      let p = "";
      while (i < format.length && /[0-9]/.test(format[i] as string)) p += format[i++];
      spec.prec = p === "" ? 0 : Number(p);
    }
    const verb = format[i];
    if (verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    const g = args[argi++];
    if (g === undefined) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, g, spec);
  }
  if (argi < args.length) {
    out += "%!(EXTRA " + args.slice(argi).map((g) => `${g.kind === "int" ? "*big.Int" : g.kind === "float" ? "float64" : g.kind === "string" ? "string" : "ast.Value"}=${g.kind === "float" ? goFloat(g.v) : String(g.v)}`).join(", ") + ")";
  }
  return out;
}

/** The sprintf builtin. */
export const sprintfBuiltins: BuiltinDef[] = [
  def("sprintf", 2, (args) => {
    const format = str(args, 1);
    const values = args[1];
    if (!Array.isArray(values)) throw new BuiltinError(`operand 2 must be array but got ${values === null ? "null" : typeof values}`, "type");
    return goSprintf(format, arr(args, 2));
  }),
];
