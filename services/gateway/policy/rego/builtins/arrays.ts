/**
 * Array builtins: array.concat, array.slice, array.reverse, array.flatten.
 */
import type { Value } from "../value.js";
import { arr, int } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

/** Array builtins. */
export const arrayBuiltins: BuiltinDef[] = [
  def("array.concat", 2, (args) => [...arr(args, 1), ...arr(args, 2)]),
  def("array.slice", 3, (args) => {
    const a = arr(args, 1);
    let start = int(args, 2);
    let stop = int(args, 3);
    if (start < 0) start = 0;
    if (stop > a.length) stop = a.length;
    if (start >= stop) return [];
    return a.slice(start, stop);
  }),
  def("array.reverse", 1, (args) => [...arr(args, 1)].reverse()),
  def("array.flatten", 1, (args) => {
    const out: Value[] = [];
    for (const x of arr(args, 1)) {
      if (Array.isArray(x)) out.push(...x);
      else out.push(x);
    }
    return out;
  }),
];
