/**
 * Splits fetched document text into sentences, verbatim: one per line, and lines split after `.`, `!` or `?`
 * followed by white space. Nothing is rewritten, so a claim is always a substring of its evidence.
 */

/** A sentence and where it was found. */
export interface Sentence {
  /** The sentence, trimmed. */
  readonly text: string;
  /** Its position in the document (0-based, in sentence order). */
  readonly index: number;
}

const SENTENCE_END = /(?<=[.!?])\s+/u;

/** The sentences of `text`, in document order; blank pieces are dropped. */
export function splitSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    for (const piece of line.split(SENTENCE_END)) {
      const trimmed = piece.trim();
      if (trimmed !== "") sentences.push({ text: trimmed, index: sentences.length });
    }
  }
  return sentences;
}
