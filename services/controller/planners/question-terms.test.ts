import test from "ava";
import { extractQuestionTerms, isIdentifier, keywordHits } from "./question-terms.js";
import { splitSentences } from "./sentences.js";

test("keywords drop stop words and rank longer words first", (t) => {
  const terms = extractQuestionTerms("What are the support hours?");
  t.deepEqual(terms.keywords, ["support", "hours"]);
  t.deepEqual(terms.searchTerms, ["support", "Support", "hours", "Hours"]);
  t.deepEqual(terms.customerIds, []);
});

test("identifiers are kept whole, ranked first and searched as written", (t) => {
  const terms = extractQuestionTerms("What is the plan tier of cust_public_1?");
  t.deepEqual(terms.keywords, ["cust_public_1", "plan", "tier"]);
  t.is(terms.searchTerms[0], "cust_public_1");
  t.false(terms.searchTerms.includes("Cust_public_1"));
  t.deepEqual(terms.customerIds, ["cust_public_1"]);
});

test("words written in capitals are also searched as written", (t) => {
  const terms = extractQuestionTerms("Are prices shown in UTC or EUR?");
  t.true(terms.searchTerms.includes("UTC"));
  t.true(terms.searchTerms.includes("utc"));
});

test("repeated words and single characters count once or not at all", (t) => {
  t.deepEqual(extractQuestionTerms("refund refund x Refund").keywords, ["refund"]);
  t.deepEqual(extractQuestionTerms("what is it?").keywords, []);
});

test("identifier detection", (t) => {
  t.true(isIdentifier("cust_public_1"));
  t.true(isIdentifier("v2"));
  t.false(isIdentifier("support"));
  t.false(isIdentifier("2026"));
});

test("keyword hits count distinct keywords case-insensitively", (t) => {
  t.is(keywordHits("Support hours are 09:00 to 17:00 UTC.", ["support", "hours", "refund"]), 2);
  t.is(keywordHits("nothing here", ["support"]), 0);
});

test("sentences are split per line and after sentence ends, verbatim", (t) => {
  const sentences = splitSentences("Title (x).\nFirst one. Second one!\r\n\nThird? Fourth");
  t.deepEqual(
    sentences.map((sentence) => sentence.text),
    ["Title (x).", "First one.", "Second one!", "Third?", "Fourth"],
  );
  t.deepEqual(sentences.map((sentence) => sentence.index), [0, 1, 2, 3, 4]);
  t.deepEqual(splitSentences("Hours are 09:00 to 17:00 UTC, Monday to Friday.").length, 1);
});
