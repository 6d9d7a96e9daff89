/**
 * Run end to end against the fake gateway over the fixture corpus: the extractive planner's answers, what a
 * principal without access gets, and the mock planner.
 */
import test from "ava";
import { ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import { StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { readCorpus } from "./support/fake-gateway.js";
import { as, createHarness, jsonOf } from "./support/controller-harness.js";

test("dev asking for the support hours gets a SUPPORTED answer quoting the policy", async (t) => {
  const { client, gateway } = await createHarness();
  const res = await client.run({ query: "What are the support hours?" }, as("dev"));
  t.is(res.terminalMode, TerminalMode.SUPPORTED);
  t.is(res.responseText, "Support hours are 09:00 to 17:00 UTC, Monday to Friday.");
  const claims = res.claimMap?.claims ?? [];
  t.is(claims.length, 1);
  t.is(claims[0]?.status, ClaimStatus.SUPPORTED);
  // Every supported claim cites evidence emitted in this session.
  const emitted = gateway.sessions.get(res.sessionId)?.emitted;
  for (const claim of claims) {
    t.true(claim.evidenceUnitIds.length > 0);
    for (const id of claim.evidenceUnitIds) t.true(emitted?.has(id));
  }
  t.deepEqual(res.citedEvidence.map((ref) => ref.objectId), ["public/support_policy.txt"]);
  t.is(res.citedEvidence[0]?.evidenceUnitId, claims[0]?.evidenceUnitIds[0]);
  t.is(res.claimMap?.coverageObserved, 1);
  t.is(res.stats?.stopReason, StopReason.PLAN_COMPLETE);
  t.false(res.stats?.budgetViolation);
  t.is(res.stats?.depthUsed, 2);
  t.is(res.authorship?.origin, TextOrigin.EXTRACTED);
  t.true(res.authorship?.aiGenerated);
  t.is(res.claimMap?.authorship?.generator, "pecr-controller/extractive@1");
  t.true(gateway.sessions.get(res.sessionId)?.finalized);
  t.regex(res.traceId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
});

test("support asking whether annual plans can be refunded gets the billing term", async (t) => {
  const { client } = await createHarness();
  const res = await client.run({ query: "Can annual plans be refunded?" }, as("support"));
  t.is(res.terminalMode, TerminalMode.SUPPORTED);
  t.is(res.responseText, "Annual plans can be refunded in full within 30 days of purchase.");
  t.deepEqual(res.citedEvidence.map((ref) => ref.objectId), ["public/billing_terms.txt"]);
});

test("guest, denied every operator, ends INSUFFICIENT_PERMISSION and learns nothing of the corpus", async (t) => {
  const { client } = await createHarness();
  for (const query of ["What are the support hours?", "Can annual plans be refunded?"]) {
    const res = await client.run({ query }, as("guest"));
    t.is(res.terminalMode, TerminalMode.INSUFFICIENT_PERMISSION);
    t.is(res.responseText, "UNKNOWN: insufficient permission to access required evidence.");
    t.is(res.stats?.stopReason, StopReason.OPERATOR_ERROR);
    t.deepEqual(res.citedEvidence, []);
    t.true((res.claimMap?.claims ?? []).every((claim) => claim.status === ClaimStatus.UNKNOWN && claim.evidenceUnitIds.length === 0));
    const text = jsonOf(res);
    for (const [objectId, document] of readCorpus()) {
      t.false(text.includes(objectId), objectId);
      for (const line of document.split("\n").filter((item) => item.length > 12)) t.false(text.includes(line), line);
    }
  }
});

test("dev cannot get restricted text: a question about the incident finds nothing readable", async (t) => {
  const { client } = await createHarness();
  const res = await client.run({ query: "What did the export job copy?" }, as("dev"));
  t.is(res.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  t.false(jsonOf(res).includes("customer notes"));
  t.false(jsonOf(res).includes("PECR_CANARY"));
});

test("a question naming a customer id states the row's values, citing the row", async (t) => {
  const { client, gateway } = await createHarness();
  const res = await client.run({ query: "What is the status of cust_public_1?" }, as("dev"));
  t.is(res.terminalMode, TerminalMode.SUPPORTED);
  t.deepEqual(res.responseText.split("\n").slice(0, 2), ["cust_public_1 status: active", "cust_public_1 plan_tier: free"]);
  const rows = gateway.requests.filter((request) => request.method === "FetchRows");
  t.is(rows.length, 1);
  t.true(res.citedEvidence.some((ref) => ref.sourceSystem === "pg_safeview"));
});

test("a question nothing answers ends INSUFFICIENT_EVIDENCE with the canned text", async (t) => {
  const { client } = await createHarness();
  const res = await client.run({ query: "Who painted the ceiling?" }, as("dev"));
  t.is(res.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  t.is(res.responseText, "UNKNOWN: insufficient evidence to answer the query.");
  t.like(res.claimMap?.claims[0], { claimText: "insufficient evidence to answer the query.", status: ClaimStatus.UNKNOWN });
});

test("the mock planner runs the original's plan and ends INSUFFICIENT_EVIDENCE", async (t) => {
  const { client, gateway } = await createHarness({ env: { PECR_CONTROLLER_PLANNER: "mock" } });
  const res = await client.run({ query: "smoke" }, as("dev"));
  t.is(res.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
  t.is(res.responseText, "UNKNOWN: insufficient evidence to answer the query.");
  t.is(res.stats?.operatorCallsUsed, 3n);
  t.is(res.stats?.depthUsed, 4);
  t.is(res.stats?.stopReason, StopReason.PLAN_COMPLETE);
  t.deepEqual(
    gateway.requests.map((request) => request.method),
    ["CreateSession", "ListVersions", "FetchRows", "Search", "Finalize"],
  );
  t.is(res.authorship?.origin, TextOrigin.MODEL_GENERATED);
});

test("a configured baseline plan replaces the mock plan", async (t) => {
  const { client, gateway } = await createHarness({
    env: {
      PECR_CONTROLLER_PLANNER: "mock",
      PECR_BASELINE_PLAN:
        '[{"kind":"operator","op_name":"search","params":{"query":"$query"}},{"kind":"search_ref_fetch_span","max_refs":1}]',
    },
  });
  const res = await client.run({ query: "Support" }, as("dev"));
  t.deepEqual(
    gateway.requests.map((request) => request.method),
    ["CreateSession", "Search", "FetchSpan", "Finalize"],
  );
  t.is(res.stats?.depthUsed, 2);
});

test("an empty question is refused before any gateway call", async (t) => {
  const { client, gateway } = await createHarness();
  const error = await t.throwsAsync(client.run({ query: "   " }, as("dev")));
  t.regex(error?.message ?? "", /query must not be empty/);
  t.is(gateway.requests.length, 0);
});
