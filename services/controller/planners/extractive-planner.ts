/**
 * The `extractive` planner (DESIGN.md §8): answers only with text taken verbatim from evidence the gateway
 * returned, so a run can honestly reach SUPPORTED.
 *
 * Step 1 (one fan-out): search the most specific keywords (as written, lower-cased, capitalised), as many as the
 * call budget allows while leaving room for fetches; and, when the question names a customer id, FetchRows on
 * `safe_customer_view_public` for its status and plan tier.
 * Step 2 (one fan-out): FetchSpan of the documents hit by the most distinct keywords.
 * Answer: one SUPPORTED claim per row value ("cust_public_1 status: active") citing the row's evidence id, and one
 * per sentence that contains the most distinct keywords (at least two when the question has two), citing the span
 * it came from. When the searches found the question's most specific keyword in no readable document, no document
 * is fetched and no sentence stated. Nothing found: no claims (the run proposes INSUFFICIENT_EVIDENCE with the
 * canned text).
 */
import { type JsonValue, type MessageInitShape, create } from "@bufbuild/protobuf";
import { AuthorshipSchema, ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import { OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import type { ProposedClaim } from "../claims/claim-map.js";
import type { OperatorResult } from "../gateway/gateway-client.js";
import type { Planner } from "./planner.js";
import { extractQuestionTerms, keywordHits } from "./question-terms.js";
import { splitSentences } from "./sentences.js";

/** Searches per run at most. */
export const MAX_SEARCHES = 4;
/** Refs asked of each search. */
export const SEARCH_LIMIT = 10;
/** Documents fetched per run at most. */
export const MAX_FETCHES = 3;
/** Customer ids looked up per run at most. */
export const MAX_CUSTOMER_LOOKUPS = 2;
/** Distinct keywords a sentence must contain (fewer only when the question has fewer). */
export const MIN_SENTENCE_HITS = 2;
/** Sentence claims per answer at most. */
export const MAX_SENTENCE_CLAIMS = 5;
/** The safe view and fields a customer lookup reads. */
export const CUSTOMER_VIEW = { viewId: "safe_customer_view_public", fields: ["status", "plan_tier"] } as const;

const operatorParams = (params: MessageInitShape<typeof OperatorParamsSchema>["params"]) =>
  create(OperatorParamsSchema, { params });

function scalarText(value: JsonValue | undefined): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function rowClaims(customerId: string, units: readonly EvidenceUnit[]): ProposedClaim[] {
  const claims: ProposedClaim[] = [];
  for (const unit of units) {
    if (unit.content.case !== "json") continue;
    for (const field of CUSTOMER_VIEW.fields) {
      const value = scalarText(unit.content.value[field]);
      if (value === undefined) continue;
      claims.push({
        text: `${customerId} ${field}: ${value}`,
        status: ClaimStatus.SUPPORTED,
        evidenceUnitIds: [unit.evidenceUnitId],
      });
    }
  }
  return claims;
}

/** Object ids ranked by distinct keywords that found them (then first appearance). */
function rankObjects(searches: readonly { term: string; result: OperatorResult }[]): string[] {
  const hits = new Map<string, Set<string>>();
  for (const { term, result } of searches) {
    // Every form of a keyword (as written, lower-cased, capitalised) counts as that one keyword.
    const keyword = term.toLowerCase();
    for (const ref of result.refs) {
      const set = hits.get(ref.objectId) ?? new Set<string>();
      set.add(keyword);
      hits.set(ref.objectId, set);
    }
  }
  return [...hits.entries()]
    .map(([objectId, found], index) => ({ objectId, hits: found.size, index }))
    .sort((a, b) => b.hits - a.hits || a.index - b.index)
    .map((entry) => entry.objectId);
}

/**
 * Whether the searches looked for the question's most specific keyword and found it in no document this
 * principal may read. The question is then about something the readable documents do not mention ("the
 * restricted fixture document", asked by a principal who may not read it), and sentences that share only its other
 * words ("fixture", "document") would answer a different question. Customer ids do not count: rows answer them.
 */
function mostSpecificKeywordMissing(
  keywords: readonly string[],
  customerIds: readonly string[],
  searches: readonly { term: string; result: OperatorResult }[],
): boolean {
  const first = keywords.find((keyword) => !customerIds.includes(keyword));
  const forFirst = searches.filter(({ term }) => term.toLowerCase() === first);
  return forFirst.length > 0 && forFirst.every(({ result }) => result.refs.length === 0);
}

function sentenceClaims(spans: readonly EvidenceUnit[], keywords: readonly string[]): ProposedClaim[] {
  const candidates: { text: string; hits: number; evidenceUnitId: string }[] = [];
  for (const unit of spans) {
    if (unit.content.case !== "text") continue;
    for (const sentence of splitSentences(unit.content.value)) {
      const hits = keywordHits(sentence.text, keywords);
      if (hits > 0) candidates.push({ text: sentence.text, hits, evidenceUnitId: unit.evidenceUnitId });
    }
  }
  // A sentence must match two keywords when the question has two or more: one shared word ("status" in "status
  // page") is too weak to state as an answer.
  const best = Math.max(0, ...candidates.map((candidate) => candidate.hits));
  if (best < Math.min(MIN_SENTENCE_HITS, keywords.length)) return [];
  const seen = new Set<string>();
  const claims: ProposedClaim[] = [];
  for (const candidate of candidates) {
    if (candidate.hits < best || seen.has(candidate.text)) continue;
    seen.add(candidate.text);
    claims.push({ text: candidate.text, status: ClaimStatus.SUPPORTED, evidenceUnitIds: [candidate.evidenceUnitId] });
    if (claims.length === MAX_SENTENCE_CLAIMS) break;
  }
  return claims;
}

/** Creates the extractive planner. */
export function createExtractivePlanner(): Planner {
  return {
    name: "extractive",
    authorship: create(AuthorshipSchema, {
      origin: TextOrigin.EXTRACTED,
      generator: "pecr-controller/extractive@1",
      aiGenerated: true,
    }),
    async answer(input, loop) {
      const terms = extractQuestionTerms(input.query);
      const customerIds = terms.customerIds.slice(0, MAX_CUSTOMER_LOOKUPS);
      const available = loop.remainingCalls();
      // Leave at least one call for fetching what the searches find.
      const searchCount = Math.min(MAX_SEARCHES, terms.searchTerms.length, Math.max(1, available - customerIds.length - 1));
      const searchTerms = terms.searchTerms.slice(0, searchCount);
      if (customerIds.length === 0 && searchTerms.length === 0) return { claims: [] };

      const lookups = customerIds.map((customerId) =>
        operatorParams({
          case: "fetchRows",
          value: { viewId: CUSTOMER_VIEW.viewId, fields: [...CUSTOMER_VIEW.fields], filterSpec: { customer_id: customerId } },
        }),
      );
      const searches = searchTerms.map((term) => operatorParams({ case: "search", value: { query: term, limit: SEARCH_LIMIT } }));
      const first = await loop.step([...lookups, ...searches]);

      // Results are aligned with the calls: lookups first, then searches; failed calls are undefined.
      const claims: ProposedClaim[] = [];
      customerIds.forEach((customerId, index) => {
        const result = first.results[index];
        if (result) claims.push(...rowClaims(customerId, result.evidenceUnits));
      });
      const searchResults: { term: string; result: OperatorResult }[] = [];
      searchTerms.forEach((term, index) => {
        const result = first.results[lookups.length + index];
        if (result) searchResults.push({ term, result });
      });

      if (mostSpecificKeywordMissing(terms.keywords, terms.customerIds, searchResults)) return { claims };
      const objects = rankObjects(searchResults);
      // Fetch what the call budget still allows, but at least one: a budget too small for any fetch must show
      // as a budget stop, not as a plan that completed without looking.
      const fetchCount = Math.min(MAX_FETCHES, objects.length, Math.max(1, loop.remainingCalls()));
      if (first.stopped || fetchCount === 0) return { claims };
      const fetches = objects
        .slice(0, fetchCount)
        .map((objectId) => operatorParams({ case: "fetchSpan", value: { objectId } }));
      const second = await loop.step(fetches);
      const spans = second.results.flatMap((result) => result?.evidenceUnits ?? []);
      claims.push(...sentenceClaims(spans, terms.keywords));
      return { claims };
    },
  };
}
