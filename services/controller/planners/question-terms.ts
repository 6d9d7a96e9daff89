/**
 * Keywords of a question for the extractive planner: words lower-cased, minus English stop words and single
 * characters, identifiers such as `cust_public_1` kept whole; ranked by specificity (identifiers, then longer
 * words). The gateway's search is a case-sensitive substring match, so each keyword is searched as written,
 * lower-cased and capitalised.
 *
 * The stop-word list is a short fixed list written here: a stop-word package would bring lists for many
 * languages and change with its releases, while the planner must stay deterministic.
 */

const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both " +
    "but by can cannot could did do does doing down during each few for from further had has have having he her " +
    "here hers herself him himself his how i if in into is it its itself just let me more most my myself no nor " +
    "not now of off on once only or other ought our ours ourselves out over own same shall she should so some " +
    "such than that the their theirs them themselves then there these they this those through to too under until " +
    "up very was we were what when where which while who whom why will with would you your yours yourself " +
    "yourselves tell show give please know get got also may might must us say says said describe explain mean means"
  ).split(" "),
);

const WORD = /[\p{L}\p{N}_]+/gu;
const CUSTOMER_ID = /cust_[a-z0-9_]+/g;

/** The terms of a question. */
export interface QuestionTerms {
  /** Keywords, lower-cased, most specific first (identifiers, then longer words, then question order). */
  readonly keywords: readonly string[];
  /** Search strings: each keyword as written, lower-cased and capitalised, in keyword order, de-duplicated. */
  readonly searchTerms: readonly string[];
  /** Customer ids named in the question (`cust_[a-z0-9_]+`), in question order. */
  readonly customerIds: readonly string[];
}

/** Whether a token is an identifier (contains `_`, or mixes letters and digits). */
export function isIdentifier(token: string): boolean {
  return token.includes("_") || (/\p{L}/u.test(token) && /\p{N}/u.test(token));
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Extracts the terms of `question`. */
export function extractQuestionTerms(question: string): QuestionTerms {
  const written = new Map<string, string>();
  const order: string[] = [];
  for (const match of question.matchAll(WORD)) {
    const token = match[0];
    const lower = token.toLowerCase();
    if (lower.length < 2 || STOP_WORDS.has(lower) || written.has(lower)) continue;
    written.set(lower, token);
    order.push(lower);
  }
  const keywords = order
    .map((word, index) => ({ word, index, identifier: isIdentifier(word) }))
    .sort(
      (a, b) =>
        Number(b.identifier) - Number(a.identifier) || b.word.length - a.word.length || a.index - b.index,
    )
    .map((entry) => entry.word);
  const searchTerms = new Set<string>();
  for (const keyword of keywords) {
    // Identifiers are matched exactly as written; words also in the forms they take in running text.
    const forms = isIdentifier(keyword)
      ? [written.get(keyword)!, keyword]
      : [keyword, capitalise(keyword), written.get(keyword)!];
    for (const form of forms) searchTerms.add(form);
  }
  const customerIds = [...new Set(question.toLowerCase().match(CUSTOMER_ID) ?? [])];
  return { keywords, searchTerms: [...searchTerms], customerIds };
}

/** Distinct keywords contained (case-insensitively) in `text`. */
export function keywordHits(text: string, keywords: readonly string[]): number {
  const lower = text.toLowerCase();
  let hits = 0;
  for (const keyword of keywords) if (lower.includes(keyword)) hits++;
  return hits;
}
