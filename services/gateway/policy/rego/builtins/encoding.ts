/**
 * Encodings: base64, base64url, hex, urlquery (Go's net/url escaping rules).
 */
import { BuiltinError } from "../errors.js";
import { RObject, RSet, typeName, type Value } from "../value.js";
import { obj, str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_B64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

function utf8(bytes: Buffer): string {
  return new TextDecoder("utf-8").decode(bytes);
}

/** Decodes standard base64 (padded); throws on malformed input as Go does. */
export function decodeStdBase64(s: string): Buffer {
  if (!STD_B64.test(s)) throw new BuiltinError("illegal base64 data at input byte 0");
  return Buffer.from(s, "base64");
}

/** Decodes base64url with or without padding. */
export function decodeUrlBase64(s: string): Buffer {
  if (!URL_B64.test(s)) throw new BuiltinError("illegal base64 data at input byte 0");
  return Buffer.from(s.replace(/=+$/, ""), "base64url");
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Go's url.QueryUnescape. */
export function queryUnescape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "+") bytes.push(0x20);
    else if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new BuiltinError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, "utf8"));
  }
  return utf8(Buffer.from(bytes));
}

function encodeObject(o: RObject): string {
  const parts: string[] = [];
  const keys = o.keys().map((k) => {
    if (typeof k !== "string") throw new BuiltinError(`operand 1 must be object with string keys but got ${typeName(k)} key`, "type");
    return k;
  });
  for (const k of [...keys].sort()) {
    const v = o.get(k) as Value;
    const values = typeof v === "string" ? [v] : Array.isArray(v) ? v : v instanceof RSet ? v.values() : undefined;
    if (values === undefined) throw new BuiltinError(`operand 1 values must be string, array[string], or set[string] but got ${typeName(v)}`, "type");
    for (const x of values) {
      if (typeof x !== "string") throw new BuiltinError(`operand 1 values must be string, array[string], or set[string] but got ${typeName(x)}`, "type");
      parts.push(`${queryEscape(k)}=${queryEscape(x)}`);
    }
  }
  return parts.join("&");
}

function decodeObject(s: string): RObject {
  const acc = new Map<string, string[]>();
  for (const part of s.split(/[&;]/)) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? "" : queryUnescape(part.slice(eq + 1));
    const list = acc.get(k) ?? [];
    list.push(v);
    acc.set(k, list);
  }
  const out = new RObject();
  for (const [k, vs] of acc) out.set(k, vs);
  return out;
}

/** Encoding builtins. */
export const encodingBuiltins: BuiltinDef[] = [
  def("base64.encode", 1, (args) => Buffer.from(str(args, 1), "utf8").toString("base64")),
  def("base64.decode", 1, (args) => utf8(decodeStdBase64(str(args, 1)))),
  def("base64.is_valid", 1, (args) => STD_B64.test(str(args, 1))),
  def("base64url.encode", 1, (args) => {
    const raw = Buffer.from(str(args, 1), "utf8").toString("base64url");
    return raw + "=".repeat((4 - (raw.length % 4)) % 4);
  }),
  def("base64url.encode_no_pad", 1, (args) => Buffer.from(str(args, 1), "utf8").toString("base64url")),
  def("base64url.decode", 1, (args) => utf8(decodeUrlBase64(str(args, 1)))),
  def("hex.encode", 1, (args) => Buffer.from(str(args, 1), "utf8").toString("hex")),
  def("hex.decode", 1, (args) => {
    const s = str(args, 1);
    for (const ch of s) {
      if (!/[0-9a-fA-F]/.test(ch)) {
        const cp = (ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
        throw new BuiltinError(`encoding/hex: invalid byte: U+${cp} '${ch}'`);
      }
    }
    if (s.length % 2 !== 0) throw new BuiltinError("encoding/hex: odd length hex string");
    return utf8(Buffer.from(s, "hex"));
  }),
  def("urlquery.encode", 1, (args) => queryEscape(str(args, 1))),
  def("urlquery.decode", 1, (args) => queryUnescape(str(args, 1))),
  def("urlquery.encode_object", 1, (args) => encodeObject(obj(args, 1))),
  def("urlquery.decode_object", 1, (args) => decodeObject(str(args, 1))),
];
