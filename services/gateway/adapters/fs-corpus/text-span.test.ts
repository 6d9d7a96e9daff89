import test from "ava";
import { PecrError } from "#core/errors/pecr-error.js";
import { selectSpan } from "./text-span.js";
import { unifiedDiff } from "./unified-diff.js";

const doc = new TextEncoder().encode("line one\nline two\nline three\n");

test("the whole document is the default span, with 1-based line numbers", (t) => {
  const span = selectSpan(doc, undefined, undefined);
  t.like(span, { startByte: 0, endByte: doc.length, lineStart: 1, lineEnd: 4 });
  t.is(span.text, "line one\nline two\nline three\n");
});

test("a span inside the document reports the lines it starts and ends on", (t) => {
  const span = selectSpan(doc, 9n, 17n);
  t.is(span.text, "line two");
  t.like(span, { lineStart: 2, lineEnd: 2 });
});

test("ranges outside the document and slices that split a UTF-8 character are refused", (t) => {
  for (const [start, end] of [[0n, 1000n], [5n, 4n]] as const) {
    const error = t.throws(() => selectSpan(doc, start, end));
    t.is(error instanceof PecrError ? error.message : "", "invalid span range");
  }
  const accented = new TextEncoder().encode("é");
  const error = t.throws(() => selectSpan(accented, 0n, 1n));
  t.is(error instanceof PecrError ? error.message : "", "span is not valid UTF-8");
});

test("the unified diff names both versions and shows the changed lines with context", (t) => {
  const patch = unifiedDiff("public/a.txt", "v1", "v2", "a\nb\nc\n", "a\nB\nc\nd\n");
  t.is(patch, "--- a/public/a.txt@v1\n+++ b/public/a.txt@v2\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
});

test("the unified diff canonicalises line endings before comparing", (t) => {
  t.is(unifiedDiff("x", "v1", "v2", "a\r\nb\r\n", "a\nb\n"), "--- a/x@v1\n+++ b/x@v2\n");
});
