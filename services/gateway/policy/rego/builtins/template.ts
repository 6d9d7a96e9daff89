/**
 * strings.render_template: the part of Go's text/template that templates over plain data use — field
 * access (`{{.a.b}}`, `{{$x.f}}`), variables, `if`/`else`, `range` with index and element variables —
 * printing missing values as `<undefined>` as OPA does. Other actions (functions, pipelines, `with`,
 * `define`) raise an error rather than render something different from Go. Written here because Go's
 * template language has no npm implementation with the same semantics.
 */
import { BuiltinError } from "../errors.js";
import { formatNumber } from "../value-json.js";
import { collectionEntries, RObject, RSet, type Value } from "../value.js";
import { obj, str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

type Node =
  | { kind: "text"; text: string }
  | { kind: "print"; expr: string }
  | { kind: "if"; cond: string; then: Node[]; else: Node[] }
  | { kind: "range"; keyVar?: string; valueVar?: string; expr: string; body: Node[]; else: Node[] };

const MISSING = Symbol("missing");
type Scope = { dot: Value | typeof MISSING; vars: Map<string, Value> };

function unsupported(what: string): BuiltinError {
  return new BuiltinError(`template: unsupported action ${JSON.stringify(what)}`);
}

function parseTemplate(src: string): Node[] {
  const tokens: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      tokens.push({ text: src.slice(i) });
      break;
    }
    if (open > i) tokens.push({ text: src.slice(i, open) });
    const close = src.indexOf("}}", open + 2);
    if (close < 0) throw new BuiltinError("template: unclosed action");
    tokens.push({ action: src.slice(open + 2, close).trim() });
    i = close + 2;
  }
  let pos = 0;
  const block = (ends: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++] as { text: string } | { action: string };
      if ("text" in t) {
        nodes.push({ kind: "text", text: t.text });
        continue;
      }
      const a = t.action;
      if (ends.includes(a)) return { nodes, end: a };
      if (a.startsWith("if ")) {
        const then = block(["else", "end"]);
        const otherwise = then.end === "else" ? block(["end"]).nodes : [];
        nodes.push({ kind: "if", cond: a.slice(3).trim(), then: then.nodes, else: otherwise });
      } else if (a.startsWith("range ")) {
        const m = /^range\s+(?:(\$\w*)\s*(?:,\s*(\$\w*))?\s*:=\s*)?(.+)$/.exec(a);
        if (m === null) throw unsupported(a);
        const body = block(["else", "end"]);
        const otherwise = body.end === "else" ? block(["end"]).nodes : [];
        const [keyVar, valueVar] = m[2] !== undefined ? [m[1], m[2]] : [undefined, m[1]];
        nodes.push({ kind: "range", keyVar, valueVar, expr: (m[3] as string).trim(), body: body.nodes, else: otherwise });
      } else if (/^(\.|\$)[\w.$]*$/.test(a)) {
        nodes.push({ kind: "print", expr: a });
      } else {
        throw unsupported(a);
      }
    }
    if (ends.length > 0) throw new BuiltinError("template: unexpected EOF");
    return { nodes, end: "" };
  };
  return block([]).nodes;
}

function lookupField(v: Value | typeof MISSING, field: string): Value | typeof MISSING {
  if (v === MISSING || !(v instanceof RObject)) return MISSING;
  return v.get(field) ?? MISSING;
}

function evalExpr(expr: string, scope: Scope): Value | typeof MISSING {
  let base: Value | typeof MISSING;
  let path: string;
  if (expr.startsWith("$")) {
    const m = /^(\$\w*)(.*)$/.exec(expr) as RegExpExecArray;
    base = scope.vars.get(m[1] as string) ?? MISSING;
    path = m[2] as string;
  } else {
    base = scope.dot;
    path = expr === "." ? "" : expr;
  }
  for (const field of path.split(".").filter((f) => f !== "")) base = lookupField(base, field);
  return base;
}

function truthy(v: Value | typeof MISSING): boolean {
  if (v === MISSING || v === null || v === false || v === "" || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof RObject || v instanceof RSet) return v.size > 0;
  return true;
}

function goPrint(v: Value): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "bigint":
      return formatNumber(v);
    case "boolean":
      return String(v);
    default:
      if (v === null) return "<nil>";
      if (Array.isArray(v)) return `[${v.map(goPrint).join(" ")}]`;
      if (v instanceof RSet) return `[${v.values().map(goPrint).join(" ")}]`;
      return `map[${v.entries().map(([k, x]) => `${goPrint(k)}:${goPrint(x)}`).join(" ")}]`;
  }
}

function render(nodes: readonly Node[], scope: Scope): string {
  let out = "";
  for (const n of nodes) {
    if (n.kind === "text") out += n.text;
    else if (n.kind === "print") {
      const v = evalExpr(n.expr, scope);
      out += v === MISSING ? "<undefined>" : goPrint(v);
    } else if (n.kind === "if") out += render(truthy(evalExpr(n.cond, scope)) ? n.then : n.else, scope);
    else {
      const v = evalExpr(n.expr, scope);
      const entries = v === MISSING ? undefined : collectionEntries(v);
      if (entries === undefined || entries.length === 0) {
        out += render(n.else, scope);
        continue;
      }
      for (const [k, x] of entries) {
        const vars = new Map(scope.vars);
        if (n.keyVar !== undefined) vars.set(n.keyVar, k);
        if (n.valueVar !== undefined) vars.set(n.valueVar, x);
        out += render(n.body, { dot: x, vars });
      }
    }
  }
  return out;
}

/** Template builtin. */
export const templateBuiltins: BuiltinDef[] = [
  def("strings.render_template", 2, (args) => {
    const vars = obj(args, 2);
    return render(parseTemplate(str(args, 1)), { dot: vars, vars: new Map([["$", vars]]) });
  }),
];
