/**
 * Byte-range selection within a UTF-8 document, with the line numbers of the span.
 */
import { errors } from "#core/errors/pecr-error.js";

/** A selected span. */
export interface SelectedSpan {
  /** The span's text, exactly as stored (not canonicalised). */
  readonly text: string;
  /** First byte (inclusive). */
  readonly startByte: number;
  /** End byte (exclusive). */
  readonly endByte: number;
  /** 1-based line of the first byte. */
  readonly lineStart: number;
  /** 1-based line of the last line the span touches: lineStart plus the newlines inside it. */
  readonly lineEnd: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes UTF-8 strictly; undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Counts `\n` bytes in a range. */
function countNewlines(bytes: Uint8Array, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) if (bytes[i] === 0x0a) count++;
  return count;
}

/**
 * Selects `[start, end)` of `bytes` (defaults: the whole document). The range must lie within the document
 * (`invalid span range`) and the slice must be valid UTF-8 (`span is not valid UTF-8`).
 */
export function selectSpan(bytes: Uint8Array, start: bigint | undefined, end: bigint | undefined): SelectedSpan {
  const length = BigInt(bytes.length);
  const startByte = start ?? 0n;
  const endByte = end ?? length;
  if (endByte > length || startByte > endByte) throw errors.invalidParams("invalid span range");
  const from = Number(startByte);
  const to = Number(endByte);
  const text = decodeUtf8(bytes.subarray(from, to));
  if (text === undefined) throw errors.invalidParams("span is not valid UTF-8");
  const lineStart = 1 + countNewlines(bytes, 0, from);
  return { text, startByte: from, endByte: to, lineStart, lineEnd: lineStart + countNewlines(bytes, from, to) };
}
