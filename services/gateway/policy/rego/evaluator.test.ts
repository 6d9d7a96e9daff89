import test from "ava";
import { evaluateQuery, loadPolicy, prepareQuery } from "./engine.js";
import { RegoError, RegoUnsupportedError } from "./errors.js";
import { fromJson, toJson } from "./value-json.js";

function run(modules: string[], query: string, input?: unknown): unknown[] {
  const policy = loadPolicy(modules.map((text, i) => ({ path: `m${i}.rego`, text })));
  return evaluateQuery(policy, prepareQuery(policy, query), input === undefined ? {} : { input: fromJson(input) }).map((b) =>
    Object.fromEntries([...b].map(([k, v]) => [k, toJson(v)])),
  );
}

test("complete rules, defaults and undefined behave as in OPA", (t) => {
  const mod = `package t
default allow := false
allow if input.user == "alice"
deny if not allow`;
  t.deepEqual(run([mod], "x = data.t.allow", { user: "alice" }), [{ x: true }]);
  t.deepEqual(run([mod], "x = data.t.allow", { user: "bob" }), [{ x: false }]);
  t.deepEqual(run([mod], "x = data.t.deny", { user: "bob" }), [{ x: true }]);
  t.deepEqual(run([mod], "x = data.t.deny", { user: "alice" }), []);
});

test("conflicting complete-rule values are an eval_conflict_error", (t) => {
  const mod = `package t
p := 1 if input.a
p := 2 if input.b`;
  t.deepEqual(run([mod], "x = data.t.p", { a: true }), [{ x: 1 }]);
  const err = t.throws(() => run([mod], "x = data.t.p", { a: true, b: true }), { instanceOf: RegoError });
  t.is(err?.code, "eval_conflict_error");
  t.regex(err?.message ?? "", /^m0\.rego:3: eval_conflict_error: complete rules must not produce multiple outputs/);
});

test("partial sets and objects iterate in OPA's sorted order", (t) => {
  const mod = `package t
s contains x if some x in ["b", "a", 3, {"k": 1}, [1]]
o[k] := count(k) if some k in ["bb", "a"]
arr := [x | some x in s]`;
  t.deepEqual(run([mod], "x = data.t.arr"), [{ x: [3, "a", "b", [1], { k: 1 }] }]);
  t.deepEqual(run([mod], "x = data.t.o"), [{ x: { a: 1, bb: 2 } }]);
});

test("with replaces input, data and functions for one expression", (t) => {
  const mod = `package t
f(x) := x * 2
p := input.v
q := y if y := p with input as {"v": 7}
r := y if y := f(2) with f as g
g(x) := x + 100
s := n if n := count([1, 2]) with count as 42`;
  t.deepEqual(run([mod], "x = data.t.q"), [{ x: 7 }]);
  t.deepEqual(run([mod], "x = data.t.r"), [{ x: 102 }]);
  t.deepEqual(run([mod], "x = data.t.s"), [{ x: 42 }]);
});

test("every, some-in, comprehensions and else chains", (t) => {
  const mod = `package t
all_pos if every x in input.xs { x > 0 }
pairs := [[k, v] | some k, v in {"b": 2, "a": 1}]
grade := "A" if input.score >= 90
else := "B" if input.score >= 80
else := "C"`;
  t.deepEqual(run([mod], "x = data.t.all_pos", { xs: [1, 2] }), [{ x: true }]);
  t.deepEqual(run([mod], "x = data.t.all_pos", { xs: [1, -2] }), []);
  t.deepEqual(run([mod], "x = data.t.pairs"), [{ x: [["a", 1], ["b", 2]] }]);
  t.deepEqual(run([mod], "x = data.t.grade", { score: 85 }), [{ x: "B" }]);
  t.deepEqual(run([mod], "x = data.t.grade", { score: 10 }), [{ x: "C" }]);
});

test("integer arithmetic stays exact beyond 2^53", (t) => {
  const policy = loadPolicy([{ path: "m.rego", text: "package t\np := sprintf(\"%v\", [18446744073709551617 * 2])" }]);
  const [b] = evaluateQuery(policy, prepareQuery(policy, "x = data.t.p"));
  t.is(b?.get("x"), "36893488147419103234");
});

test("builtin errors are undefined by default and raised under strict builtin errors", (t) => {
  const policy = loadPolicy([{ path: "m.rego", text: "package t\np := 1 / 0" }]);
  const q = prepareQuery(policy, "x = data.t.p");
  t.deepEqual(evaluateQuery(policy, q), []);
  const err = t.throws(() => evaluateQuery(policy, q, { strict: true }), { instanceOf: RegoError });
  t.is(err?.code, "eval_builtin_error");
  t.regex(err?.message ?? "", /div: divide by zero/);
});

test("an unsupported builtin is rejected when the module loads, with file:line:col and its name", (t) => {
  const err = t.throws(
    () => loadPolicy([{ path: "bundle/policy.rego", text: 'package t\n\np if {\n  http.send({"url": "x"})\n}\n' }]),
    { instanceOf: RegoUnsupportedError },
  );
  t.is(err?.construct, "http.send");
  t.regex(err?.message ?? "", /^bundle\/policy\.rego:4:3: rego_unsupported_error: unsupported builtin: http\.send$/);
});

test("an unknown function and an unsafe variable are compile errors", (t) => {
  const unknown = t.throws(() => loadPolicy([{ path: "a.rego", text: "package t\np if no_such_fn(1)" }]), { instanceOf: RegoError });
  t.is(unknown?.code, "rego_type_error");
  const unsafe = t.throws(() => loadPolicy([{ path: "b.rego", text: "package t\np if { x > 1 }" }]), { instanceOf: RegoError });
  t.is(unsafe?.code, "rego_unsafe_var_error");
  t.regex(unsafe?.message ?? "", /^b\.rego:2:8: rego_unsafe_var_error: var x is unsafe/);
});

test("body expressions are reordered for safety, as OPA does", (t) => {
  t.deepEqual(run(["package t\np := y if { y > 1; y = input.n }"], "x = data.t.p", { n: 5 }), [{ x: 5 }]);
});
