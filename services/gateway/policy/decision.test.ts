import test from "ava";
import { INVALID_POLICY_DECISION, parseDecision } from "./decision.js";

const invalid = { allow: false, cacheable: false, reason: INVALID_POLICY_DECISION, redaction: undefined };

test("a well-formed decision is parsed with its redaction trimmed, sorted and deduplicated", (t) => {
  t.deepEqual(
    parseDecision({ allow: true, cacheable: true, reason: "ok", redaction: { deny_fields: [" b", "a", "b "] } }),
    { allow: true, cacheable: true, reason: "ok", redaction: { kind: "deny_fields", fields: ["a", "b"] } },
  );
  t.deepEqual(parseDecision({ allow: true, redaction: { allow_fields: ["x"] } }).redaction, { kind: "allow_fields", fields: ["x"] });
});

test("absent, empty and empty-array redactions mean none", (t) => {
  for (const redaction of [undefined, {}, { deny_fields: [] }, { allow_fields: [] }]) {
    t.is(parseDecision({ allow: true, redaction }).redaction, undefined);
  }
});

test("cacheable defaults to false and a missing reason is unspecified", (t) => {
  t.deepEqual(parseDecision({ allow: false }), { allow: false, cacheable: false, reason: "unspecified", redaction: undefined });
});

test("malformed decisions fail closed as invalid_policy_decision", (t) => {
  const bad: unknown[] = [
    undefined,
    null,
    "allow",
    [],
    {},
    { allow: "true" },
    { allow: 1 },
    { allow: true, cacheable: "yes" },
    { allow: true, reason: 3 },
    { allow: true, redaction: [] },
    { allow: true, redaction: "none" },
    { allow: true, redaction: { deny_fields: ["a"], allow_fields: ["b"] } },
    { allow: true, redaction: { deny_fields: [], allow_fields: [] } },
    { allow: true, redaction: { deny_fields: "a" } },
    { allow: true, redaction: { deny_fields: ["a", ""] } },
    { allow: true, redaction: { deny_fields: ["  "] } },
    { allow: true, redaction: { deny_fields: [1] } },
    { allow: true, redaction: { mask_fields: ["a"] } },
    { allow: true, extra: 1 },
  ];
  for (const raw of bad) t.deepEqual(parseDecision(raw), invalid, JSON.stringify(raw));
});
