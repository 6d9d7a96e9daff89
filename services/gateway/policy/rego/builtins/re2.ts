/**
 * Translates Go/RE2 regular expressions into equivalent JS RegExps (unicode mode), rejecting what RE2 does
 * not accept (backreferences, lookaround) and what has no JS equivalent here (inline flag groups other than
 * a leading `(?flags)`, `\C`, ungreedy mode). Written here because OPA's regex builtins take RE2 syntax and
 * differ from JS in details (`\s`, POSIX classes, `(?P<name>)`, `\z`, `\Q...\E`) that would otherwise give
 * silently different answers. Compiled expressions are cached by the caller.
 */
import { BuiltinError } from "../errors.js";

const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

const JS_SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);

function invalid(pattern: string, why: string): BuiltinError {
  return new BuiltinError(`error parsing regexp: ${why}: \`${pattern}\``);
}

function escapeLiteral(ch: string, inClass: boolean): string {
  if (JS_SYNTAX.has(ch) || (inClass && ch === "-")) return "\\" + ch;
  return ch;
}

/** Translates an RE2 pattern; returns JS source and flags. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let flags = "u";
  let i = 0;
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead !== null) {
    for (const f of lead[1] as string) {
      if (f === "U") throw invalid(pattern, "ungreedy mode is not supported");
      if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  let out = "";
  let inClass = false;
  let depth = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "\\") {
      const n = pattern[i + 1];
      if (n === undefined) throw invalid(pattern, "trailing backslash at end of expression");
      if (n === "Q") {
        const end = pattern.indexOf("\\E", i + 2);
        const lit = end < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, end);
        for (const ch of lit) out += escapeLiteral(ch, inClass);
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (n === "A") {
        out += "(?<![\\s\\S])";
        i += 2;
        continue;
      }
      if (n === "z") {
        out += "(?![\\s\\S])";
        i += 2;
        continue;
      }
      if (n === "s" || n === "S") {
        out += inClass ? (n === "s" ? "\\t\\n\\f\\r " : "") : n === "s" ? "[\\t\\n\\f\\r ]" : "[^\\t\\n\\f\\r ]";
        if (inClass && n === "S") throw invalid(pattern, "\\S inside a class is not supported");
        i += 2;
        continue;
      }
      if ("dDwWbB".includes(n)) {
        out += "\\" + n;
        i += 2;
        continue;
      }
      if (n === "p" || n === "P") {
        const m = /^\\[pP](\{[A-Za-z_]+\}|[A-Za-z])/.exec(pattern.slice(i));
        if (m === null) throw invalid(pattern, "invalid character class range");
        const name = (m[1] as string).replace(/[{}]/g, "");
        out += `\\${n}{${name.length === 1 ? name : name.startsWith("Is") ? name.slice(2) : name.includes("_") || name.length > 2 ? `Script=${name}` : name}}`;
        i += m[0].length;
        continue;
      }
      if (n === "x") {
        const m = /^\\x(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{2})/.exec(pattern.slice(i));
        if (m === null) throw invalid(pattern, "invalid escape sequence");
        const hex = (m[1] as string).replace(/[{}]/g, "");
        out += `\\u{${hex}}`;
        i += m[0].length;
        continue;
      }
      if (/[0-7]/.test(n)) {
        if (n !== "0" && /[1-9]/.test(n) && !/[0-7]/.test(pattern[i + 2] ?? "")) {
          throw invalid(pattern, "invalid escape sequence (backreferences are not supported)");
        }
        const m = /^\\([0-7]{1,3})/.exec(pattern.slice(i)) as RegExpExecArray;
        out += `\\u{${parseInt(m[1] as string, 8).toString(16)}}`;
        i += m[0].length;
        continue;
      }
      const simple: Record<string, string> = { a: "\\x07", f: "\\f", t: "\\t", n: "\\n", r: "\\r", v: "\\v" };
      if (simple[n] !== undefined) {
        out += simple[n];
        i += 2;
        continue;
      }
      if (/[A-Za-z0-9]/.test(n)) throw invalid(pattern, `invalid escape sequence: \`\\${n}\``);
      out += escapeLiteral(n, inClass);
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === "[" && pattern[i + 1] === ":") {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
        if (m === null || POSIX[m[2] as string] === undefined) throw invalid(pattern, "invalid character class range");
        if (m[1] === "^") throw invalid(pattern, "negated POSIX classes are not supported");
        out += POSIX[m[2] as string];
        i += m[0].length;
        continue;
      }
      if (c === "]") inClass = false;
      out += c === "[" ? "\\[" : c;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += "[";
      i++;
      if (pattern[i] === "^") {
        out += "^";
        i++;
      }
      if (pattern[i] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (c === "(") {
      depth++;
      if (pattern[i + 1] === "?") {
        const rest = pattern.slice(i + 2);
        if (rest.startsWith("P<")) {
          out += "(?<";
          i += 4;
          continue;
        }
        if (rest.startsWith(":")) {
          out += "(?:";
          i += 3;
          continue;
        }
        if (rest.startsWith("<") && !rest.startsWith("<=") && !rest.startsWith("<!")) {
          out += "(?<";
          i += 3;
          continue;
        }
        throw invalid(pattern, "invalid or unsupported Perl syntax");
      }
      out += "(";
      i++;
      continue;
    }
    if (c === ")") depth--;
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m === null) {
        out += "\\{";
        i++;
        continue;
      }
      if (Number(m[1]) > 1000 || Number(m[3] ?? 0) > 1000) throw invalid(pattern, "invalid repeat count");
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (c === "}" || c === "/") {
      out += "\\" + c;
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (inClass) throw invalid(pattern, "missing closing ]");
  if (depth !== 0) throw invalid(pattern, depth > 0 ? "missing closing )" : "unexpected )");
  return { source: out, flags };
}

/** Compiles RE2 patterns to global JS RegExps, cached per compiler. */
export function createRe2Compiler(): (pattern: string) => RegExp {
  const cache = new Map<string, RegExp>();
  return (pattern) => {
    let re = cache.get(pattern);
    if (re === undefined) {
      const { source, flags } = translateRe2(pattern);
      try {
        re = new RegExp(source, flags + "g");
      } catch (err) {
        throw invalid(pattern, (err as Error).message);
      }
      if (cache.size > 1000) cache.clear();
      cache.set(pattern, re);
    }
    re.lastIndex = 0;
    return re;
  };
}

/** One match: [start, end] UTF-16 offsets and the groups (undefined when a group did not take part). */
export interface Re2Match {
  readonly start: number;
  readonly end: number;
  readonly groups: readonly (string | undefined)[];
  readonly named: Record<string, string | undefined> | undefined;
}

/** Go's FindAll: successive non-overlapping matches; an empty match right after a match is skipped. */
export function findAll(re: RegExp, s: string, n: number): Re2Match[] {
  const out: Re2Match[] = [];
  re.lastIndex = 0;
  let prevEnd = -1;
  while (n < 0 || out.length < n) {
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) {
      // Step over a whole code point after an empty match.
      const cp = s.codePointAt(start);
      re.lastIndex = start + (cp !== undefined && cp > 0xffff ? 2 : 1);
      if (start === prevEnd) {
        if (start >= s.length) break;
        continue;
      }
    }
    out.push({ start, end, groups: m.slice(1), named: m.groups });
    prevEnd = end;
    if (start >= s.length) break;
  }
  return out;
}
