/**
 * Graph builtins: walk (a relation over every [path, value] of a document, pre-order), graph.reachable and
 * graph.reachable_paths.
 */
import { BuiltinError } from "../errors.js";
import { collectionEntries, RObject, RSet, typeName, type Value } from "../value.js";
import { obj } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

function walkInto(v: Value, path: Value[], out: Value[]): void {
  out.push([path, v]);
  const entries = collectionEntries(v);
  if (entries === undefined) return;
  for (const [k, x] of entries) walkInto(x, [...path, k], out);
}

/** Neighbours of `node` in a graph object (array or set values; anything else has none). */
function neighbours(graph: RObject, node: Value): Value[] {
  const edges = graph.get(node);
  if (edges === undefined || edges === null) return [];
  if (Array.isArray(edges)) return edges;
  if (edges instanceof RSet) return edges.values();
  throw new BuiltinError(`graph values must be array or set but got ${typeName(edges)}`, "type");
}

function initialNodes(args: Value[]): Value[] {
  const v = args[1] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  throw new BuiltinError(`operand 2 must be one of {array, set} but got ${typeName(v)}`, "type");
}

function reachable(args: Value[]): Value {
  const graph = obj(args, 1);
  const seen = new RSet();
  const queue = initialNodes(args).filter((n) => graph.has(n));
  while (queue.length > 0) {
    const n = queue.shift() as Value;
    if (!seen.add(n)) continue;
    for (const m of neighbours(graph, n)) if (graph.has(m) && !seen.has(m)) queue.push(m);
  }
  return seen;
}

function reachablePaths(args: Value[]): Value {
  const graph = obj(args, 1);
  const out = new RSet();
  const visit = (node: Value, path: Value[]): void => {
    const next = [...path, node];
    const onPath = RSet.from(path);
    const ns = graph.has(node) ? neighbours(graph, node).filter((m) => !onPath.has(m) && m !== node) : [];
    const known = ns.filter((m) => graph.has(m));
    if (known.length === 0) {
      out.add(next);
      return;
    }
    for (const m of known) visit(m, next);
  };
  for (const n of initialNodes(args)) if (graph.has(n)) visit(n, []);
  return out;
}

/** Graph builtins. */
export const graphBuiltins: BuiltinDef[] = [
  {
    name: "walk",
    arity: 1,
    relation: ([v]) => {
      const out: Value[] = [];
      walkInto(v as Value, [], out);
      return out;
    },
  },
  def("graph.reachable", 2, reachable),
  def("graph.reachable_paths", 2, reachablePaths),
];
