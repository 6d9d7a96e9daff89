/**
 * glob.match (gobwas/glob semantics as OPA uses them: `*` stops at delimiters, `**` does not, `?`, character
 * lists and ranges with `!` negation, `{a,b}` alternatives, `\` escapes) and glob.quote_meta.
 */
import { BuiltinError } from "../errors.js";
import { RSet, type Value } from "../value.js";
import { str } from "./args.js";
import { def, operandError, type BuiltinDef } from "./types.js";

function escapeClass(s: string): string {
  return s.replace(/[\\\]^[-]/g, "\\$&");
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** Translates a glob into an anchored regex source. */
export function globToRegex(pattern: string, delimiters: readonly string[]): string {
  const notDelim = delimiters.length === 0 ? "[\\s\\S]" : `[^${escapeClass(delimiters.join(""))}]`;
  let i = 0;
  const parse = (inAlt: boolean): string => {
    let out = "";
    while (i < pattern.length) {
      const c = pattern[i] as string;
      if (inAlt && (c === "," || c === "}")) return out;
      if (c === "\\") {
        const n = pattern[i + 1];
        if (n === undefined) throw new BuiltinError(`unexpected end of input in glob ${JSON.stringify(pattern)}`);
        out += escapeRegex(n);
        i += 2;
      } else if (c === "*") {
        if (pattern[i + 1] === "*") {
          out += "[\\s\\S]*";
          i += 2;
        } else {
          out += `${notDelim}*`;
          i++;
        }
      } else if (c === "?") {
        out += notDelim;
        i++;
      } else if (c === "[") {
        const close = pattern.indexOf("]", i + 1);
        if (close < 0) throw new BuiltinError(`unexpected end of input in glob ${JSON.stringify(pattern)}`);
        let body = pattern.slice(i + 1, close);
        let neg = false;
        if (body.startsWith("!")) {
          neg = true;
          body = body.slice(1);
        }
        const ranges = body.replace(/(.)-(.)/gu, (_, a: string, b: string) => `\u0000${a}\u0001${b}`);
        let cls = "";
        for (let j = 0; j < ranges.length; j++) {
          const ch = ranges[j] as string;
          if (ch === "\u0000") {
            cls += `${escapeClass(ranges[j + 1] as string)}-${escapeClass(ranges[j + 3] as string)}`;
            j += 3;
          } else cls += escapeClass(ch);
        }
        out += neg ? `[^${cls}]` : `[${cls}]`;
        i = close + 1;
      } else if (c === "{") {
        i++;
        const alts: string[] = [];
        for (;;) {
          alts.push(parse(true));
          if (pattern[i] === ",") {
            i++;
            continue;
          }
          if (pattern[i] === "}") {
            i++;
            break;
          }
          throw new BuiltinError(`unexpected end of input in glob ${JSON.stringify(pattern)}`);
        }
        out += `(?:${alts.join("|")})`;
      } else {
        out += escapeRegex(c);
        i++;
      }
    }
    return out;
  };
  return `^${parse(false)}$`;
}

/** Creates the glob builtins (with a compiled-pattern cache). */
export function globBuiltins(): BuiltinDef[] {
  const cache = new Map<string, RegExp>();
  return [
    def("glob.match", 3, (args) => {
      const pattern = str(args, 1);
      const d = args[1] as Value;
      let delimiters: string[];
      if (d === null) delimiters = [];
      else if (Array.isArray(d) || d instanceof RSet) {
        const items = Array.isArray(d) ? d : d.values();
        delimiters = items.map((x) => {
          if (typeof x !== "string") throw operandError(2, "array of strings", x);
          return x;
        });
        if (delimiters.length === 0) delimiters = ["."];
      } else throw operandError(2, "array", d);
      const key = JSON.stringify([pattern, delimiters]);
      let re = cache.get(key);
      if (re === undefined) {
        re = new RegExp(globToRegex(pattern, delimiters), "u");
        if (cache.size > 1000) cache.clear();
        cache.set(key, re);
      }
      return re.test(str(args, 3));
    }),
    def("glob.quote_meta", 1, (args) => str(args, 1).replace(/[*?\\[\]{}]/g, "\\$&")),
  ];
}
