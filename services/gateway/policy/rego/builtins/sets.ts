/**
 * Set builtins: `&` (and), `|` (or), intersection, union.
 */
import { BuiltinError } from "../errors.js";
import { RSet, typeName, type Value } from "../value.js";
import { set } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

function setOfSets(args: Value[]): RSet[] {
  const s = set(args, 1);
  const out: RSet[] = [];
  for (const x of s.values()) {
    if (!(x instanceof RSet)) throw new BuiltinError(`operand 1 must be set of sets but got set containing ${typeName(x)}`, "type");
    out.push(x);
  }
  return out;
}

function intersect(a: RSet, b: RSet): RSet {
  const out = new RSet();
  for (const x of a.values()) if (b.has(x)) out.add(x);
  return out;
}

/** Set builtins. */
export const setBuiltins: BuiltinDef[] = [
  def("and", 2, (args) => intersect(set(args, 1), set(args, 2))),
  def("or", 2, (args) => RSet.from([...set(args, 1).values(), ...set(args, 2).values()])),
  def("intersection", 1, (args) => {
    const sets = setOfSets(args);
    if (sets.length === 0) return new RSet();
    return sets.reduce((a, b) => intersect(a, b));
  }),
  def("union", 1, (args) => RSet.from(setOfSets(args).flatMap((s) => s.values()))),
];
