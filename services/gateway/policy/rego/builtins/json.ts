/**
 * JSON and YAML builtins: json.marshal (Go's encoding: sorted keys, HTML-safe escapes), marshal_with_options,
 * unmarshal, is_valid, json.filter, json.remove, json.patch (RFC 6902), yaml.marshal/unmarshal/is_valid.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { BuiltinError } from "../errors.js";
import { formatNumber, fromJson, toJson } from "../value-json.js";
import { lookup, RObject, RSet, typeName, valuesEqual, type Value } from "../value.js";
import { obj, oneOf, str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

/** Go's json string encoding (escapes <, >, & and U+2028/9 like encoding/json). */
function goJsonString(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function keyString(k: Value): string {
  if (typeof k === "string") return k;
  if (typeof k === "number" || typeof k === "bigint") return formatNumber(k);
  if (typeof k === "boolean" || k === null) return String(k);
  return goJson(k, "", "", "");
}

/** Serialises a value as Go's json.Marshal(Indent) would after OPA's JSON conversion. */
export function goJson(v: Value, prefix: string, indent: string, depth: string): string {
  const nl = indent === "" && prefix === "" ? "" : "\n";
  const inner = depth + indent;
  switch (typeof v) {
    case "string":
      return goJsonString(v);
    case "number":
    case "bigint":
      return formatNumber(v);
    case "boolean":
      return v ? "true" : "false";
    default: {
      if (v === null) return "null";
      const items: string[] = [];
      if (Array.isArray(v) || v instanceof RSet) {
        const xs = Array.isArray(v) ? v : v.values();
        if (xs.length === 0) return "[]";
        for (const x of xs) items.push(nl + prefix + inner + goJson(x, prefix, indent, inner));
        return "[" + items.join(",") + nl + prefix + depth + "]";
      }
      const entries = v.entries().map(([k, x]) => [keyString(k), x] as const);
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      if (entries.length === 0) return "{}";
      const sep = nl === "" ? ":" : ": ";
      for (const [k, x] of entries) items.push(nl + prefix + inner + goJsonString(k) + sep + goJson(x, prefix, indent, inner));
      return "{" + items.join(",") + nl + prefix + depth + "}";
    }
  }
}

function unmarshal(s: string): Value {
  try {
    return fromJson(JSON.parse(s));
  } catch (err) {
    throw new BuiltinError((err as Error).message);
  }
}

/** A path operand of json.filter / json.remove: `a/b/c` or ["a", "b", "c"]. */
function paths(args: Value[], pos: number): Value[][] {
  const v = args[pos - 1] as Value;
  const items = Array.isArray(v) ? v : v instanceof RSet ? v.values() : undefined;
  if (items === undefined) throw oneOf(pos, ["set", "array"], v);
  return items.map((p) => {
    if (typeof p === "string") return p.replace(/^\//, "").split("/").filter((s, _i, a) => s !== "" || a.length > 1).map(unescapePointer);
    if (Array.isArray(p)) return p;
    throw new BuiltinError(`operand ${pos} must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`, "type");
  });
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Step of a path into a value: object keys as given; array indices from numeric strings. */
function step(v: Value, seg: Value): Value | undefined {
  if (Array.isArray(v)) {
    const i = typeof seg === "string" && /^\d+$/.test(seg) ? Number(seg) : seg;
    return lookup(v, i);
  }
  return lookup(v, seg);
}

function filterPaths(v: Value, ps: Value[][]): Value {
  if (ps.some((p) => p.length === 0)) return v;
  if (v instanceof RObject) {
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      const sub = ps.filter((p) => valuesEqual(p[0] as Value, k) || (typeof p[0] === "string" && typeof k !== "string" && p[0] === formatNumber(k as number)));
      if (sub.length > 0) out.set(k, filterPaths(x, sub.map((p) => p.slice(1))));
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, i) => {
      const sub = ps.filter((p) => step([x], p[0] === String(i) || p[0] === i ? 0 : -1) !== undefined);
      if (sub.length > 0) out.push(filterPaths(x, sub.map((p) => p.slice(1))));
    });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v.values()) {
      const sub = ps.filter((p) => valuesEqual(p[0] as Value, x));
      if (sub.length > 0) out.add(filterPaths(x, sub.map((p) => p.slice(1))));
    }
    return out;
  }
  return v;
}

function removePaths(v: Value, ps: Value[][]): Value {
  if (ps.some((p) => p.length === 0)) return undefined as unknown as Value;
  const matches = (seg: Value, key: Value, index?: number): boolean =>
    valuesEqual(seg, key) || (index !== undefined && (seg === String(index) || seg === index));
  if (v instanceof RObject) {
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      const sub = ps.filter((p) => matches(p[0] as Value, k));
      if (sub.some((p) => p.length === 1)) continue;
      out.set(k, sub.length > 0 ? removePaths(x, sub.map((p) => p.slice(1))) : x);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, i) => {
      const sub = ps.filter((p) => matches(p[0] as Value, i, i));
      if (sub.some((p) => p.length === 1)) return;
      out.push(sub.length > 0 ? removePaths(x, sub.map((p) => p.slice(1))) : x);
    });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v.values()) {
      const sub = ps.filter((p) => matches(p[0] as Value, x));
      if (sub.some((p) => p.length === 1)) continue;
      out.add(sub.length > 0 ? removePaths(x, sub.map((p) => p.slice(1))) : x);
    }
    return out;
  }
  return v;
}

// ---- json.patch ----

/** A JSON patch that does not apply (json.patch is then undefined). */
class PatchFailed extends Error {
  override readonly name = "PatchFailedError";
}

/** Path segments: a JSON pointer (leading `/` optional) or an array of segment values. */
function pointer(p: Value): Value[] {
  if (typeof p === "string") {
    const body = p.startsWith("/") ? p.slice(1) : p;
    if (p === "") return [];
    return body.split("/").map(unescapePointer);
  }
  if (Array.isArray(p)) return p;
  throw new PatchFailed();
}

function arrayIndex(a: Value[], seg: Value, forAdd: boolean): number {
  if (forAdd && seg === "-") return a.length;
  let i: number;
  if (typeof seg === "string" && /^(0|[1-9]\d*)$/.test(seg)) i = Number(seg);
  else if (typeof seg === "number" && Number.isInteger(seg) && seg >= 0) i = seg;
  else throw new PatchFailed();
  if (i > a.length || (!forAdd && i === a.length)) throw new PatchFailed();
  return i;
}

function child(cur: Value, seg: Value): Value {
  let next: Value | undefined;
  if (Array.isArray(cur)) next = cur[arrayIndex(cur, seg, false)];
  else if (cur instanceof RObject) next = cur.get(seg);
  else if (cur instanceof RSet) next = cur.has(seg) ? seg : undefined;
  if (next === undefined) throw new PatchFailed();
  return next;
}

function getAt(doc: Value, path: Value[]): Value {
  let cur = doc;
  for (const seg of path) cur = child(cur, seg);
  return cur;
}

function updateAt(doc: Value, path: Value[], f: (parent: Value, last: Value) => Value): Value {
  if (path.length === 0) throw new PatchFailed();
  const [head, ...rest] = path as [Value, ...Value[]];
  if (rest.length === 0) return f(doc, head);
  const next = updateAt(child(doc, head), rest, f);
  if (Array.isArray(doc)) {
    const out = [...doc];
    out[arrayIndex(doc, head, false)] = next;
    return out;
  }
  if (doc instanceof RObject) return RObject.from(doc.entries()).set(head, next);
  if (doc instanceof RSet) return RSet.from([...doc.values().filter((x) => !valuesEqual(x, head)), next]);
  throw new PatchFailed();
}

function addAt(doc: Value, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  return updateAt(doc, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, last, true);
      return [...parent.slice(0, i), value, ...parent.slice(i)];
    }
    if (parent instanceof RObject) return RObject.from(parent.entries()).set(last, value);
    if (parent instanceof RSet) {
      if (!valuesEqual(last, value)) throw new PatchFailed();
      return RSet.from([...parent.values(), value]);
    }
    throw new PatchFailed();
  });
}

function removeAt(doc: Value, path: Value[]): Value {
  return updateAt(doc, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, last, false);
      return [...parent.slice(0, i), ...parent.slice(i + 1)];
    }
    if (parent instanceof RObject) {
      if (!parent.has(last)) throw new PatchFailed();
      const out = RObject.from(parent.entries());
      out.delete(last);
      return out;
    }
    if (parent instanceof RSet) {
      if (!parent.has(last)) throw new PatchFailed();
      return RSet.from(parent.values().filter((x) => !valuesEqual(x, last)));
    }
    throw new PatchFailed();
  });
}

function applyPatch(doc: Value, ops: Value): Value {
  if (!Array.isArray(ops)) throw new PatchFailed();
  let cur = doc;
  for (const op of ops) {
    if (!(op instanceof RObject)) throw new PatchFailed();
    const kind = op.get("op");
    const rawPath = op.get("path");
    if (rawPath === undefined) throw new PatchFailed();
    const path = pointer(rawPath);
    switch (kind) {
      case "add": {
        const v = op.get("value");
        if (v === undefined) throw new PatchFailed();
        cur = addAt(cur, path, v);
        break;
      }
      case "remove":
        cur = removeAt(cur, path);
        break;
      case "replace": {
        const v = op.get("value");
        if (v === undefined) throw new PatchFailed();
        getAt(cur, path);
        cur = path.length === 0 ? v : addAt(removeAt(cur, path), path, v);
        break;
      }
      case "move": {
        const from = op.get("from");
        if (from === undefined) throw new PatchFailed();
        const fromPath = pointer(from);
        const v = getAt(cur, fromPath);
        if (fromPath.length < path.length && fromPath.every((s, i) => valuesEqual(s, path[i] as Value))) throw new PatchFailed();
        cur = addAt(removeAt(cur, fromPath), path, v);
        break;
      }
      case "copy": {
        const from = op.get("from");
        if (from === undefined) throw new PatchFailed();
        cur = addAt(cur, path, getAt(cur, pointer(from)));
        break;
      }
      case "test": {
        const v = op.get("value");
        if (v === undefined || !valuesEqual(getAt(cur, path), v)) throw new PatchFailed();
        break;
      }
      default:
        throw new PatchFailed();
    }
  }
  return cur;
}

/** JSON and YAML builtins. */
export const jsonBuiltins: BuiltinDef[] = [
  def("json.marshal", 1, ([v]) => goJson(v as Value, "", "", "")),
  def("json.marshal_with_options", 2, (args) => {
    const opts = obj(args, 2);
    let pretty: boolean | undefined;
    let prefix = "";
    let indent = "\t";
    let explicit = false;
    for (const [k, v] of opts.entries()) {
      if (k === "pretty" && typeof v === "boolean") pretty = v;
      else if (k === "prefix" && typeof v === "string") {
        prefix = v;
        explicit = true;
      } else if (k === "indent" && typeof v === "string") {
        indent = v;
        explicit = true;
      } else throw new BuiltinError(`object contained unknown key ${JSON.stringify(k)}`, "type");
    }
    if (pretty === false || (pretty === undefined && !explicit)) return goJson(args[0] as Value, "", "", "");
    return prefix + goJson(args[0] as Value, prefix, indent, "");
  }),
  def("json.unmarshal", 1, (args) => unmarshal(str(args, 1))),
  def("json.is_valid", 1, ([v]) => {
    if (typeof v !== "string") return false;
    try {
      JSON.parse(v);
      return true;
    } catch {
      return false;
    }
  }),
  def("json.filter", 2, (args) => filterPaths(obj(args, 1), paths(args, 2))),
  def("json.remove", 2, (args) => removePaths(obj(args, 1), paths(args, 2))),
  def("json.patch", 2, ([doc, ops]) => {
    try {
      return applyPatch(doc as Value, ops as Value);
    } catch (err) {
      if (err instanceof PatchFailed) return undefined;
      throw err;
    }
  }),
  def("yaml.marshal", 1, ([v]) => stringifyYaml(toJson(v as Value))),
  def("yaml.unmarshal", 1, (args) => {
    try {
      return fromJson(parseYaml(str(args, 1)) ?? null);
    } catch (err) {
      throw new BuiltinError((err as Error).message);
    }
  }),
  def("yaml.is_valid", 1, ([v]) => {
    if (typeof v !== "string") return false;
    try {
      parseYaml(v);
      return true;
    } catch {
      return false;
    }
  }),
];

