/**
 * Unified diff between two versions of a document, built with the `diff` library.
 */
import { createTwoFilesPatch } from "diff";
import { canonicalText } from "#core/canonical/canonical-text.js";

/** The `diff_unified_v1` text: line-based, 3 lines of context, labels `a/<object>@<v1>` and `b/<object>@<v2>`. */
export function unifiedDiff(objectId: string, v1: string, v2: string, oldText: string, newText: string): string {
  const patch = createTwoFilesPatch(
    `a/${objectId}@${v1}`,
    `b/${objectId}@${v2}`,
    canonicalText(oldText),
    canonicalText(newText),
    undefined,
    undefined,
    { context: 3, headerOptions: { includeIndex: false, includeUnderline: false, includeFileHeaders: true } },
  );
  return canonicalText(patch);
}
