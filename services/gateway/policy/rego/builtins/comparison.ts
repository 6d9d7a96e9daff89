/**
 * Comparison builtins (`== != < <= > >=`) over OPA's total order of values.
 */
import { compareValues, valuesEqual } from "../value.js";
import { def, type BuiltinDef } from "./types.js";

/** Comparison builtins. */
export const comparisonBuiltins: BuiltinDef[] = [
  def("equal", 2, ([a, b]) => valuesEqual(a!, b!)),
  def("neq", 2, ([a, b]) => !valuesEqual(a!, b!)),
  def("lt", 2, ([a, b]) => compareValues(a!, b!) < 0),
  def("lte", 2, ([a, b]) => compareValues(a!, b!) <= 0),
  def("gt", 2, ([a, b]) => compareValues(a!, b!) > 0),
  def("gte", 2, ([a, b]) => compareValues(a!, b!) >= 0),
];
