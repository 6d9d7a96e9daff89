/**
 * Conversions between Rego values and JSON, and OPA's text form of values (what `sprintf("%v")`, string
 * interpolation and error messages print).
 */
import { RObject, RSet, type Value } from "./value.js";

/** Converts parsed JSON (or a YAML/JS plain value) into a Rego value. */
export function fromJson(x: unknown): Value {
  switch (typeof x) {
    case "string":
    case "boolean":
    case "bigint":
      return x;
    case "number":
      return Object.is(x, -0) ? 0 : x;
    case "object": {
      if (x === null) return null;
      if (Array.isArray(x)) {
        const out: Value[] = new Array(x.length);
        for (let i = 0; i < x.length; i++) out[i] = fromJson(x[i]);
        return out;
      }
      if (x instanceof RObject || x instanceof RSet) return x;
      const o = new RObject();
      const rec = x as Record<string, unknown>;
      for (const k in rec) {
        if (!Object.prototype.hasOwnProperty.call(rec, k)) continue;
        const v = rec[k];
        if (v !== undefined) o.setString(k, fromJson(v));
      }
      return o;
    }
    default:
      throw new TypeError(`cannot convert ${typeof x} to a Rego value`);
  }
}

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Converts a Rego value to JSON as OPA does: sets become sorted arrays, non-string object keys their text,
 * bigints the nearest float (callers that need exact digits format the value instead).
 */
export function toJson(v: Value): Json {
  switch (typeof v) {
    case "bigint":
      return Number(v);
    case "object": {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(toJson);
      if (v instanceof RSet) return v.values().map(toJson);
      const out: { [key: string]: Json } = {};
      for (const [k, x] of v.entries()) out[jsonKey(k)] = toJson(x);
      return out;
    }
    default:
      return v;
  }
}

/** The JSON object key for a Rego key: strings as themselves, scalars as their text, composites as JSON. */
function jsonKey(k: Value): string {
  if (typeof k === "string") return k;
  if (k === null || typeof k !== "object") return formatValue(k);
  return JSON.stringify(toJson(k));
}

const FLOAT_RANGE = 10n ** 308n;

/**
 * Text of an integer. Integers beyond float64's range can only come from exponent literals (`2e308`), which
 * OPA prints as written; the shortest exponent form reproduces that text.
 */
export function formatBigInt(b: bigint): string {
  const neg = b < 0n;
  const abs = neg ? -b : b;
  if (abs < FLOAT_RANGE) return b.toString();
  const digits = abs.toString();
  const mantissa = digits.replace(/0+$/, "");
  const exp = digits.length - 1;
  const text = mantissa.length === 1 ? `${mantissa}e${exp}` : `${mantissa[0]}.${mantissa.slice(1)}e${exp}`;
  return neg ? `-${text}` : text;
}

/** Formats a number as OPA prints it. */
export function formatNumber(n: number | bigint): string {
  if (typeof n === "bigint") return formatBigInt(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

/** Quotes a string the way OPA prints strings inside composite values. */
export function quoteString(s: string): string {
  return JSON.stringify(s);
}

/**
 * OPA's text form of a value: strings quoted, `[1, 2]`, `{"a": 1}`, `{1, 2}` and `set()`. With `bare`, a
 * top-level string prints without quotes (as `%v` and string interpolation do).
 */
export function formatValue(v: Value, bare = false): string {
  switch (typeof v) {
    case "string":
      return bare ? v : quoteString(v);
    case "number":
    case "bigint":
      return formatNumber(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      if (v === null) return "null";
      if (Array.isArray(v)) return "[" + v.map((x) => formatValue(x)).join(", ") + "]";
      if (v instanceof RSet) return v.size === 0 ? "set()" : "{" + v.values().map((x) => formatValue(x)).join(", ") + "}";
      return "{" + v.entries().map(([k, x]) => formatValue(k) + ": " + formatValue(x)).join(", ") + "}";
  }
}
