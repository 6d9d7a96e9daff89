/**
 * Regex builtins with RE2 semantics (see re2.ts): regex.match, is_valid, find_n,
 * find_all_string_submatch_n, replace (Go's `$1` / `${name}` expansion), split, template_match.
 */
import { BuiltinError } from "../errors.js";
import type { Value } from "../value.js";
import { int, str } from "./args.js";
import { createRe2Compiler, findAll, translateRe2, type Re2Match } from "./re2.js";
import { def, type BuiltinDef } from "./types.js";

/** Go's Regexp.Expand of a replacement template. */
function expand(template: string, m: Re2Match, whole: string): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c !== "$") {
      out += c;
      continue;
    }
    if (template[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string | undefined;
    const braced = /^\$\{([A-Za-z0-9_]+)\}/.exec(template.slice(i));
    const bare = /^\$([A-Za-z0-9_]+)/.exec(template.slice(i));
    if (braced !== null) {
      name = braced[1];
      i += braced[0].length - 1;
    } else if (bare !== null) {
      name = bare[1];
      i += bare[0].length - 1;
    } else {
      out += c;
      continue;
    }
    const key = name as string;
    if (/^\d+$/.test(key)) {
      const idx = Number(key);
      out += idx === 0 ? whole : (m.groups[idx - 1] ?? "");
    } else out += m.named?.[key] ?? "";
  }
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** Creates the regex builtins (with their own compiled-pattern cache). */
export function regexBuiltins(): BuiltinDef[] {
  const compile = createRe2Compiler();
  return [
    def("regex.match", 2, (args) => compile(str(args, 1)).test(str(args, 2))),
    def("regex.is_valid", 1, ([p]) => {
      if (typeof p !== "string") return false;
      try {
        compile(p);
        return true;
      } catch {
        return false;
      }
    }),
    def("regex.find_n", 3, (args) => {
      const s = str(args, 2);
      return findAll(compile(str(args, 1)), s, int(args, 3)).map((m) => s.slice(m.start, m.end));
    }),
    def("regex.find_all_string_submatch_n", 3, (args) => {
      const s = str(args, 2);
      return findAll(compile(str(args, 1)), s, int(args, 3)).map((m) => [s.slice(m.start, m.end), ...m.groups.map((g) => g ?? "")]);
    }),
    def("regex.replace", 3, (args) => {
      const s = str(args, 1);
      const template = str(args, 3);
      let out = "";
      let last = 0;
      for (const m of findAll(compile(str(args, 2)), s, -1)) {
        out += s.slice(last, m.start) + expand(template, m, s.slice(m.start, m.end));
        last = m.end;
      }
      return out + s.slice(last);
    }),
    def("regex.split", 2, (args) => {
      const pattern = str(args, 1);
      const s = str(args, 2);
      if (pattern.length > 0 && s.length === 0) return [""];
      const parts: Value[] = [];
      let beg = 0;
      let end = 0;
      for (const m of findAll(compile(pattern), s, -1)) {
        end = m.start;
        if (m.end !== 0) parts.push(s.slice(beg, end));
        beg = m.end;
      }
      if (end !== s.length) parts.push(s.slice(beg));
      return parts;
    }),
    def("regex.template_match", 4, (args) => {
      const template = str(args, 1);
      const value = str(args, 2);
      const open = str(args, 3);
      const close = str(args, 4);
      let source = "";
      let i = 0;
      while (i < template.length) {
        const a = template.indexOf(open, i);
        if (a < 0) {
          source += escapeRegex(template.slice(i));
          break;
        }
        const b = template.indexOf(close, a + open.length);
        if (b < 0) throw new BuiltinError(`unbalanced braces in ${JSON.stringify(template)}`);
        source += escapeRegex(template.slice(i, a));
        const inner = translateRe2(template.slice(a + open.length, b));
        source += `(?:${inner.source})`;
        i = b + close.length;
      }
      return new RegExp(`^${source}$`, "u").test(value);
    }),
  ];
}
