/**
 * Text normalisation applied before hashing text content and claim text.
 */

/** Canonical form of text content: CRLF and lone CR become LF, then Unicode NFC. */
export function canonicalText(text: string): string {
  return text.replace(/\r\n?/g, "\n").normalize("NFC");
}

/** Canonical form of claim text: trimmed, then NFC. */
export function canonicalClaimText(text: string): string {
  return text.trim().normalize("NFC");
}

/** Trims, drops empty entries, sorts (by UTF-16 code units, as `Array.prototype.sort`) and de-duplicates. */
export function normaliseNameList(names: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const name of names) {
    const trimmed = name.trim();
    if (trimmed !== "") set.add(trimmed);
  }
  return [...set].sort(compareCodePoints);
}

/** Sorts and de-duplicates without trimming (ids, hashes). */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareCodePoints);
}

/**
 * Compares strings by Unicode code points (equal to UTF-8 byte order), unlike `<` on JS strings, which
 * compares UTF-16 code units and orders astral characters before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
