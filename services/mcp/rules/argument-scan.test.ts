import test from "ava";
import { normaliseKey, scanArguments, withoutFlagged } from "./argument-scan.js";

test("keys are compared case- and separator-insensitively", (t) => {
  t.is(normaliseKey("Principal-ID"), "principalid");
  t.deepEqual(
    scanArguments({ principalId: "a", "X-Pecr-Principal-Id": "b" }, false).map((field) => field.path),
    ["$.X-Pecr-Principal-Id", "$.principalId"],
  );
});

test("ordinary arguments and filter columns are not flagged", (t) => {
  t.deepEqual(scanArguments({ view_id: "v", fields: ["admin_note", "tenant_id"], filter_spec: { customer_id: "c", tenant_id: "t" } }, false), []);
  t.deepEqual(scanArguments({ query: "How do I rotate a bearer token?" }, false), []);
});

test("a whole bearer credential as a value is flagged", (t) => {
  t.deepEqual(
    scanArguments({ query: "Bearer abcdefghijklmnopqrstuvwxyz012345" }, false).map((field) => field.reasonCode),
    ["credential_in_arguments"],
  );
});

test("a top-level budget is allowed only where the tool takes one", (t) => {
  t.deepEqual(scanArguments({ query: "q", budget: { max_operator_calls: 1 } }, true), []);
  t.deepEqual(scanArguments({ query: "q", budget: {} }, false).map((field) => field.reasonCode), ["budget_requested"]);
  t.deepEqual(scanArguments({ query: "q", nested: { budget: {} } }, true).map((field) => field.reasonCode), ["budget_requested"]);
});

test("flagged fields are removed from a copy at any depth, the rest kept", (t) => {
  const args = { object_id: "public/a.txt", actor: "x", filter_spec: { token: "t", customer_id: "c" } };
  const copy = withoutFlagged(args, scanArguments(args, false));
  t.deepEqual(copy, { object_id: "public/a.txt", filter_spec: { customer_id: "c" } });
  t.deepEqual(args.filter_spec, { token: "t", customer_id: "c" });
});
