/**
 * Type builtins: is_number, is_string, is_boolean, is_array, is_set, is_object, is_null, type_name.
 */
import { Kind, kindOf, RObject, typeName } from "../value.js";
import { def, type BuiltinDef } from "./types.js";

const is = (name: string, kind: Kind): BuiltinDef => def(name, 1, ([v]) => kindOf(v!) === kind);

/** Type builtins. */
export const typeBuiltins: BuiltinDef[] = [
  is("is_number", Kind.Number),
  is("is_string", Kind.String),
  is("is_boolean", Kind.Boolean),
  is("is_array", Kind.Array),
  is("is_set", Kind.Set),
  is("is_object", Kind.Object),
  is("is_null", Kind.Null),
  def("type_name", 1, ([v]) => typeName(v!)),
];

/** `opa.runtime`: there is no OPA runtime around the embedded evaluator, so it reports none (as OPA does without one). */
export const runtimeBuiltins: BuiltinDef[] = [def("opa.runtime", 0, () => new RObject())];
