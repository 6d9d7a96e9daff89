import test from "ava";
import { constantTimeEqual } from "./constant-time-equal.js";

test("equal secrets compare equal", (t) => {
  t.true(constantTimeEqual("s3cret", "s3cret"));
  t.true(constantTimeEqual("", ""));
});

test("different secrets compare unequal, including different lengths, without throwing", (t) => {
  t.false(constantTimeEqual("s3cret", "s3creT"));
  t.false(constantTimeEqual("s3cret", "s3cret "));
  t.false(constantTimeEqual("", "s3cret"));
  t.false(constantTimeEqual("é", "e\u0301"));
});
