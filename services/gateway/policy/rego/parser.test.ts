import test from "ava";
import type { Rule } from "./ast.js";
import { RegoError } from "./errors.js";
import { parseModule, parseQuery } from "./parser.js";

test("rules carry their file, line and column", (t) => {
  const m = parseModule("package a.b\n\nimport rego.v1\n\np := 1\n  q contains x if { x := 2 }\n", "pol.rego");
  t.deepEqual(m.pkg, ["a", "b"]);
  t.is(m.imports.length, 1);
  const [p, q] = m.rules as [Rule, Rule];
  t.deepEqual(p.loc, { file: "pol.rego", line: 5, col: 1 });
  t.deepEqual(q.loc, { file: "pol.rego", line: 6, col: 3 });
  t.is(q.kind, "multi");
});

test("syntax errors report file:line:col and the offending token", (t) => {
  const err = t.throws(() => parseModule("package a\n\np if {\n  x := \n}\n", "bad.rego"), { instanceOf: RegoError });
  t.is(err?.code, "rego_parse_error");
  t.regex(err?.message ?? "", /^bad\.rego:5:1: rego_parse_error: unexpected \} token/);
});

test("v1 requires `if` before a rule body", (t) => {
  const err = t.throws(() => parseModule("package a\np { true }\n", "v0.rego"), { instanceOf: RegoError });
  t.regex(err?.message ?? "", /`if` keyword is required/);
});

test("operator precedence follows OPA: relations bind looser than arithmetic", (t) => {
  const [e] = parseQuery("x == 1 + 2 * 3") as unknown as [{ kind: string; call: { operator: { name: string }; args: { type: string }[] } }];
  t.is(e.kind, "call");
  t.is(e.call.operator.name, "equal");
  t.is((e.call.args[1] as { operator?: { name: string } }).operator?.name, "plus");
});

test("a `{x | body}` is a comprehension, not a set union", (t) => {
  const [e] = parseQuery("s := {x | x := [1, 2][_]}") as unknown as [{ rhs: { type: string } }];
  t.is(e.rhs.type, "setcompr");
});

test("keywords may start a ref and appear inside refs", (t) => {
  const m = parseModule("package a\nif.foo := 1\np if { foo.with == if.foo }\nfoo.with := 1\n", "k.rego");
  t.is(m.rules.length, 3);
  t.deepEqual(
    (m.rules[0] as Rule).ref.map((r) => (r.type === "var" ? r.name : r.type === "scalar" ? r.value : "?")),
    ["if", "foo"],
  );
});

test("newlines separate body literals and `[` on a new line does not continue a ref", (t) => {
  const m = parseModule("package a\np if {\n  x := input.a\n  [y] := [x]\n}\n", "n.rego");
  t.is((m.rules[0] as Rule).body.length, 2);
});

test("integers beyond the safe range stay exact", (t) => {
  const [e] = parseQuery("x = 18446744073709551617") as unknown as [{ rhs: { value: unknown } }];
  t.is(e.rhs.value, 18446744073709551617n);
});
