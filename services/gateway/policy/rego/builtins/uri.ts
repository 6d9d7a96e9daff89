/**
 * uri.parse and uri.is_valid, following Go's net/url parsing (scheme, userinfo, host and port checks,
 * percent-decoding rules per component) and returning OPA's fields (scheme, hostname, port, path, raw_path,
 * raw_query, fragment; empty ones omitted).
 */
import { BuiltinError } from "../errors.js";
import { RObject } from "../value.js";
import { str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

/** A URL that does not parse (message as Go words it). */
class UrlError extends Error {
  override readonly name = "UrlError";
}

const SUB_DELIMS = "!$&'()*+,;=";

function isUnreserved(c: string): boolean {
  return /^[A-Za-z0-9\-._~]$/.test(c);
}

/** Characters a path keeps unescaped (besides unreserved). */
function pathSafe(c: string): boolean {
  return isUnreserved(c) || SUB_DELIMS.includes(c) || c === ":" || c === "@" || c === "/";
}

/** Percent-decodes; in the host only non-ASCII bytes may be escaped (as Go requires). */
function unescape(s: string, host: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new UrlError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      if (host && parseInt(hex[0] as string, 16) < 8 && hex !== "25") throw new UrlError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, "utf8"));
  }
  return new TextDecoder().decode(Buffer.from(bytes));
}

/** The escaped form of a path: escapes that are needed are kept, needless ones decoded, unsafe bytes escaped. */
function rawPath(p: string): string {
  let out = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === "%") {
      const hex = p.slice(i + 1, i + 3);
      const decoded = String.fromCharCode(parseInt(hex, 16));
      out += decoded !== "/" && pathSafe(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (pathSafe(c)) out += c;
    else for (const b of Buffer.from(c, "utf8")) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function validUserinfo(s: string): boolean {
  for (const c of s) {
    if (isUnreserved(c) || SUB_DELIMS.includes(c) || c === ":" || c === "%") continue;
    return false;
  }
  return true;
}

interface ParsedUrl {
  scheme: string;
  hostname: string;
  port: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  fragment: string;
}

function parseUrl(input: string): ParsedUrl {
  const u: ParsedUrl = { scheme: "", hostname: "", port: "", path: "", rawPath: "", rawQuery: "", fragment: "" };
  let rest = input;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    u.fragment = unescape(rest.slice(hash + 1), false);
    rest = rest.slice(0, hash);
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (scheme !== null) {
    u.scheme = (scheme[1] as string).toLowerCase();
    rest = rest.slice(scheme[0].length);
  } else if (/^[^/?]*:/.test(rest) && rest !== "") {
    throw new UrlError("missing protocol scheme");
  }
  const q = rest.indexOf("?");
  if (q >= 0) {
    u.rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (u.scheme !== "" && !rest.startsWith("/")) return u; // opaque, e.g. mailto:user@example.com
  if (rest.startsWith("//")) {
    const end = rest.slice(2).search(/\//);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
    rest = end < 0 ? "" : rest.slice(2 + end);
    let hostport = authority;
    const at = authority.lastIndexOf("@");
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!validUserinfo(userinfo)) throw new UrlError("net/url: invalid userinfo");
      unescape(userinfo, false);
      hostport = authority.slice(at + 1);
    }
    if (hostport.startsWith("[")) {
      const close = hostport.indexOf("]");
      if (close < 0) throw new UrlError("missing ']' in host");
      u.hostname = unescape(hostport.slice(1, close), true);
      const after = hostport.slice(close + 1);
      if (after !== "") {
        if (!/^:[0-9]*$/.test(after)) throw new UrlError(`invalid port ${JSON.stringify(after)} after host`);
        u.port = after.slice(1);
      }
    } else {
      const colon = hostport.lastIndexOf(":");
      if (colon >= 0) {
        const port = hostport.slice(colon);
        if (!/^:[0-9]*$/.test(port)) throw new UrlError(`invalid port ${JSON.stringify(port)} after host`);
        u.port = port.slice(1);
        hostport = hostport.slice(0, colon);
      }
      u.hostname = unescape(hostport, true);
    }
  }
  u.path = unescape(rest, false);
  u.rawPath = rawPath(rest);
  return u;
}

function toObject(u: ParsedUrl): RObject {
  const o = new RObject();
  const put = (k: string, v: string): void => {
    if (v !== "") o.set(k, v);
  };
  put("scheme", u.scheme);
  put("hostname", u.hostname);
  put("port", u.port);
  put("path", u.path);
  put("raw_path", u.path === "" ? "" : u.rawPath);
  put("raw_query", u.rawQuery);
  put("fragment", u.fragment);
  return o;
}

/** URI builtins. */
export const uriBuiltins: BuiltinDef[] = [
  def("uri.parse", 1, (args) => {
    const s = str(args, 1);
    try {
      return toObject(parseUrl(s));
    } catch (err) {
      if (err instanceof UrlError) throw new BuiltinError(`parse ${JSON.stringify(s)}: ${err.message}`);
      throw err;
    }
  }),
  def("uri.is_valid", 1, ([v]) => {
    if (typeof v !== "string" || v === "") return false;
    try {
      return parseUrl(v).scheme !== "";
    } catch {
      return false;
    }
  }),
];
