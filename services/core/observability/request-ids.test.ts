import test from "ava";
import { parseUlid, resolveRequestId, resolveTraceId } from "./request-ids.js";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

test("a request id keeps only ASCII alphanumerics and -_. and at most 64 characters", (t) => {
  t.is(resolveRequestId("abc-DEF_1.2"), "abc-DEF_1.2");
  t.is(resolveRequestId(" a b\tc/é<>\"'\n"), "abc");
  t.is(resolveRequestId("x".repeat(100)), "x".repeat(64));
});

test("an absent or fully stripped request id becomes a new ULID", (t) => {
  t.regex(resolveRequestId(null), ULID);
  t.regex(resolveRequestId(undefined), ULID);
  t.regex(resolveRequestId("/// ###"), ULID);
  t.not(resolveRequestId(null), resolveRequestId(null));
});

test("a valid trace id is re-emitted in uppercase; anything else becomes a new ULID", (t) => {
  t.is(resolveTraceId("01arz3ndektsv4rrffq69g5fav"), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  t.is(resolveTraceId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  for (const bad of [null, "", "not-a-ulid", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "01ARZ3NDEKTSV4RRFFQ69G5FAU"]) {
    const resolved = resolveTraceId(bad);
    t.regex(resolved, ULID);
    t.not(resolved, bad);
  }
});

test("ULIDs that overflow 128 bits are rejected", (t) => {
  t.is(parseUlid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  t.is(parseUlid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), undefined);
});
