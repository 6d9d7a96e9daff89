/**
 * The gateway's integration suite: every RPC's success path and each error of reference §2.10, through a real
 * server (HTTP/2, gRPC protocol) with the full interceptor stack, the embedded Rego policy and a real ledger.
 * Registered once per ledger backend (gateway-pglite.test.ts, gateway-postgres.test.ts).
 */
import type { TestFn } from "ava";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { fromBinary } from "@bufbuild/protobuf";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { ContentType } from "#gen/pecr/v1/evidence_pb.js";
import { LedgerEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { evidenceUnitId, sourceVersionId } from "#core/canonical/identities.js";
import { hashMessage } from "#core/canonical/domain-hash.js";
import { type Backend, type GatewayHarness, startGatewayHarness } from "../../support/gateway-harness.js";
import { at, DEFAULT_BUDGET, failure, openTestSession } from "../../support/gateway-sessions.js";
import { createSwitchablePolicy, type SwitchablePolicy } from "../../support/switchable-policy.js";

/** Context shared by the suite's tests. */
export interface SuiteContext {
  /** The main gateway. */
  main: GatewayHarness;
  /** Its switchable policy. */
  policy: SwitchablePolicy;
  /** Moves the main gateway's clock forward. */
  clockOffsetMs: { value: number };
  /**
   * A gateway with tight rate limits and `aggregate` removed from the allowlist. The time-correctness tests run here
   * too: no other test searches its corpus or reads its rows at another as_of concurrently, which would record
   * observations the tests do not expect.
   */
  strict: GatewayHarness;
}

const CANARY_RESTRICTED = "PECR_CANARY_RESTRICTED_ALPHA_6b3b91c2a7b44a9f";
const CANARY_ADMIN_1 = "PECR_CANARY_PG_ADMIN_DELTA_1f2d8c6f87f84b76";
const CANARY_TENANT = "PECR_CANARY_PG_TENANT_ZETA_5e0b7c2d9a1f4836";

let unique = 0;
const name = (prefix: string) => `${prefix}_${process.pid}_${unique++}`;

/** Registers the suite on `test` for `backend`. */
export function registerGatewaySuite(test: TestFn<SuiteContext>, backend: Backend): void {
  test.before(async (t) => {
    const policy = await createSwitchablePolicy();
    const clockOffsetMs = { value: 0 };
    const [main, strict] = await Promise.all([
      startGatewayHarness({ backend, policy, clock: { now: () => new Date(Date.now() + clockOffsetMs.value) } }),
      startGatewayHarness({ backend, env: { PECR_RATE_LIMIT_SESSIONS_PER_WINDOW: "5", PECR_OPERATOR_ALLOWLIST: "search,fetch_span,fetch_rows,list_versions,diff,redact" } }),
    ]);
    t.context = { main, policy, clockOffsetMs, strict };
  });
  test.after.always(async (t) => {
    await t.context.main?.close();
    await t.context.strict?.close();
  });

  // ---- CreateSession -------------------------------------------------------------------------------------------

  test.serial("CreateSession returns ids, the snapshot hash and the capability token only in the response header", async (t) => {
    const dev = t.context.main.client("dev");
    let token: string | null = null;
    const response = await dev.createSession({ budget: DEFAULT_BUDGET, asOfTime: at("2026-01-01T00:00:00Z") }, { onHeader: (h) => (token = h.get("x-pecr-session-token")) });
    t.regex(response.sessionId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    t.regex(response.policySnapshotHash, /^[0-9a-f]{64}$/);
    t.is(response.budget?.maxOperatorCalls, 20);
    t.regex(token ?? "", /^[A-Za-z0-9_-]{43}$/);
    t.false(JSON.stringify(response, (_k, v) => (typeof v === "bigint" ? String(v) : v)).includes(token ?? "absent"));
  });

  test("CreateSession refuses malformed input and unknown principals with fixed errors", async (t) => {
    const dev = t.context.main.client("dev");
    t.like(await failure(dev.createSession({ budget: DEFAULT_BUDGET, asOfTime: { seconds: 1767225600n, nanos: 5 } })), {
      code: Code.InvalidArgument,
      message: "as_of_time must be RFC3339 UTC (YYYY-MM-DDTHH:MM:SSZ)",
      detail: "ERR_INVALID_PARAMS",
      hint: TerminalMode.INSUFFICIENT_EVIDENCE,
      retryable: false,
    });
    t.like(await failure(dev.createSession({})), { code: Code.InvalidArgument, detail: "ERR_INVALID_PARAMS" });
    t.like(await failure(dev.createSession({ budget: { ...DEFAULT_BUDGET, maxOperatorCalls: 10001 } })), { code: Code.InvalidArgument, detail: "ERR_INVALID_PARAMS" });
    t.like(await failure(t.context.main.client("mallory").createSession({ budget: DEFAULT_BUDGET })), {
      code: Code.PermissionDenied,
      message: "policy denied",
      detail: "ERR_POLICY_DENIED",
      hint: TerminalMode.INSUFFICIENT_PERMISSION,
    });
    const anonymous = createClient(GatewayService, createConnectTransport({ baseUrl: t.context.main.url, httpVersion: "2" }));
    t.like(await failure(anonymous.createSession({ budget: DEFAULT_BUDGET })), {
      code: Code.Unauthenticated,
      message: "missing x-pecr-principal-id header",
      detail: "ERR_POLICY_DENIED",
    });
  });

  // ---- Search and FetchSpan --------------------------------------------------------------------------------------

  test("search is filtered by policy: support never learns that restricted documents exist", async (t) => {
    const dev = t.context.main.client("dev");
    const support = t.context.main.client("support");
    const devSession = await openTestSession(dev);
    const supportSession = await openTestSession(support);
    const query = { query: "fixture document", limit: 50 };
    const devRefs = (await dev.search({ sessionId: devSession.sessionId, params: query }, devSession.options)).refs.map((ref) => ref.objectId);
    const supportRefs = (await support.search({ sessionId: supportSession.sessionId, params: query }, supportSession.options)).refs.map((ref) => ref.objectId);
    t.true(devRefs.includes("restricted/restricted_1.txt"));
    t.true(supportRefs.includes("public/public_1.txt"));
    t.false(supportRefs.some((objectId) => objectId.startsWith("restricted/")));
    t.like(await failure(dev.search({ sessionId: devSession.sessionId, params: { query: "   " } }, devSession.options)), {
      code: Code.InvalidArgument,
      message: "params.query is required",
    });
  });

  test("a whole-document fetch has the search ref's id, and the span's content hashes to its content_hash", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev, { asOf: "2026-01-01T00:00:00Z" });
    const [ref] = (await dev.search({ sessionId: session.sessionId, params: { query: CANARY_RESTRICTED, limit: 5 } }, session.options)).refs;
    t.is(ref?.objectId, "restricted/restricted_1.txt");
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "restricted/restricted_1.txt" } }, session.options)).evidenceUnit!;
    t.is(unit.evidenceUnitId, ref?.evidenceUnitId ?? "");
    t.is(unit.evidenceUnitId, evidenceUnitId(unit));
    t.is(unit.contentType, ContentType.TEXT_PLAIN);
    t.true(unit.content.case === "text" && unit.content.value.includes(CANARY_RESTRICTED));
    t.is(unit.versionId, sourceVersionId(readFileSync(join(t.context.main.corpusDir, "restricted/restricted_1.txt"))));
    const partial = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt", startByte: 0n, endByte: 6n } }, session.options)).evidenceUnit!;
    t.deepEqual(partial.content, { case: "text", value: "Public" });
    t.like(partial.spanOrRowSpec?.spec.value, { startByte: 0n, endByte: 6n, lineStart: 1n, lineEnd: 1n });
  });

  test("fetch_span rejects traversal, bad ranges and missing objects; support may not read restricted", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const fetch = (objectId: string, range: { startByte?: bigint; endByte?: bigint } = {}) =>
      failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId, ...range } }, session.options));
    t.like(await fetch("../restricted/restricted_1.txt"), { code: Code.InvalidArgument, message: "object_id must be a relative path without parent components", detail: "ERR_INVALID_PARAMS" });
    t.like(await fetch("/etc/passwd"), { code: Code.InvalidArgument, message: "object_id must be a relative path without parent components" });
    t.like(await fetch("public/public_1.txt", { startByte: 5n, endByte: 1n }), { code: Code.InvalidArgument, message: "invalid span range" });
    t.like(await fetch("public/missing.txt"), { code: Code.NotFound, message: "object not found", detail: "ERR_SOURCE_UNAVAILABLE", hint: TerminalMode.SOURCE_UNAVAILABLE, retryable: false });
    t.like(await fetch(""), { code: Code.InvalidArgument, message: "params.object_id is required" });
    const support = t.context.main.client("support");
    const supportSession = await openTestSession(support);
    const denied = await failure(support.fetchSpan({ sessionId: supportSession.sessionId, params: { objectId: "restricted/restricted_1.txt" } }, supportSession.options));
    t.like(denied, { code: Code.PermissionDenied, message: "policy denied", detail: "ERR_POLICY_DENIED", hint: TerminalMode.INSUFFICIENT_PERMISSION });
  });

  test("identical bad requests fail with byte-identical errors", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const calls = [
      () => dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "../restricted/restricted_1.txt" } }, session.options),
      () => dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view", fields: ["status"] } }, session.options),
      () => dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", fields: ["admin_note"] } }, session.options),
      () => dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", fields: ["status"], filterSpec: { admin_note: "x" } } }, session.options),
      () => dev.diff({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt", v1: "not-a-sha", v2: "a".repeat(64) } }, session.options),
    ];
    const expected = [
      "object_id must be a relative path without parent components",
      "view_id not allowlisted",
      "field not allowlisted: admin_note",
      "filter field not allowlisted: admin_note",
      "v1 and v2 must be sha256 hex version ids",
    ];
    for (const [index, call] of calls.entries()) {
      const first = await failure(call());
      const second = await failure(call());
      t.deepEqual(first, second);
      t.like(first, { code: Code.InvalidArgument, message: expected[index], detail: "ERR_INVALID_PARAMS", hint: TerminalMode.INSUFFICIENT_EVIDENCE });
    }
  });

  // ---- Safe views ------------------------------------------------------------------------------------------------

  test("fetch_rows returns only requested fields of the caller's tenant; values in filters are bound, never SQL", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const admin = await dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note"], filterSpec: { customer_id: "cust_public_1" } } }, session.options);
    t.is(admin.evidenceUnits.length, 1);
    const unit = admin.evidenceUnits[0]!;
    t.deepEqual(unit.content, { case: "json", value: { admin_note: CANARY_ADMIN_1 } });
    t.is(unit.objectId, "safe_customer_view_admin:local:cust_public_1");
    t.like(unit.spanOrRowSpec?.spec, { case: "dbRow", value: { viewId: "safe_customer_view_admin", fields: ["admin_note"] } });
    const all = await dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note", "customer_id"] } }, session.options);
    t.false(JSON.stringify(all.evidenceUnits.map((u) => u.content.value)).includes(CANARY_TENANT));
    const injected = await dev.fetchRows(
      { sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", fields: ["status"], filterSpec: { customer_id: "x' OR '1'='1" } } },
      session.options,
    );
    t.is(injected.evidenceUnits.length, 0);
  });

  test("fetch_rows for a principal with a redaction directive removes the field and records the transform", async (t) => {
    const analyst = t.context.main.client("analyst");
    const session = await openTestSession(analyst);
    const response = await analyst.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note", "status"] } }, session.options);
    t.true(response.evidenceUnits.length >= 2);
    for (const unit of response.evidenceUnits) {
      t.false(JSON.stringify(unit.content.value).includes("PECR_CANARY"));
      t.like(unit.spanOrRowSpec?.spec, { case: "dbRow", value: { fields: ["status"] } });
      t.is(unit.transformChain.at(-1)?.transformType, "redaction");
      t.is(unit.evidenceUnitId, evidenceUnitId(unit));
    }
  });

  test("support may read only the public and support views", async (t) => {
    const support = t.context.main.client("support");
    const session = await openTestSession(support);
    const own = await support.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_support", fields: ["support_note"], filterSpec: { customer_id: "cust_public_1" } } }, session.options);
    t.deepEqual(own.evidenceUnits[0]?.content.value, { support_note: "PECR_CANARY_PG_SUPPORT_EPSILON_6c6f4f07c04f4f8f" });
    t.like(await failure(support.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note"] } }, session.options)), {
      code: Code.PermissionDenied,
    });
  });

  test("aggregate counts per group and validates group-bys and metrics", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const response = await dev.aggregate(
      { sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", groupBy: ["plan_tier"], metrics: [{ name: "count", field: "customer_id" }] } },
      session.options,
    );
    const unit = response.evidenceUnit!;
    t.like(unit.spanOrRowSpec?.spec, { case: "dbAggregate", value: { viewId: "safe_customer_view_public", groupBy: ["plan_tier"] } });
    t.is(unit.versionId, unit.contentHash);
    const rows = (unit.content.value as { rows: { group: { plan_tier: string }; metrics: { value: number }[] }[] }).rows;
    const count = (tier: string) => rows.find((row) => row.group.plan_tier === tier)?.metrics[0]?.value;
    t.is(count("free"), 1);
    t.is(count("enterprise"), 1);
    t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", groupBy: ["customer_id"], metrics: [{ name: "count", field: "customer_id" }] } }, session.options)), {
      message: "group_by field not allowlisted: customer_id",
    });
    t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", metrics: [{ name: "sum", field: "customer_id" }] } }, session.options)), {
      message: "metric not allowlisted: sum(customer_id)",
    });
    t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", metrics: [] } }, session.options)), {
      message: "params.metrics must be a non-empty array",
    });
  });

  // ---- Versions and time-correctness -----------------------------------------------------------------------------

  test("documents are read as of the session's time: a t1 session keeps seeing v1 after a t2 session observed v2", async (t) => {
    const dev = t.context.strict.client("dev");
    const objectId = `public/${name("staleness")}.txt`;
    const path = join(t.context.strict.corpusDir, objectId);
    writeFileSync(path, "Version one of the document.\n");
    const t1 = await openTestSession(dev, { asOf: "2026-01-01T00:00:00Z" });
    const v1 = (await dev.listVersions({ sessionId: t1.sessionId, params: { objectId } }, t1.options)).versions;
    t.is(v1.length, 1);
    const marker = name("PECR_STALENESS_V2_MARKER");
    writeFileSync(path, `Version one of the document.\n\n${marker}\n`);
    const t2 = await openTestSession(dev, { asOf: "2026-02-01T00:00:00Z" });
    const v2 = (await dev.listVersions({ sessionId: t2.sessionId, params: { objectId } }, t2.options)).versions;
    t.is(v2.length, 2);
    t.is(v2[0]?.versionId, v1[0]?.versionId);
    t.like(v2[1]?.firstObservedAt, at("2026-02-01T00:00:00Z"));
    const newer = (await dev.fetchSpan({ sessionId: t2.sessionId, params: { objectId } }, t2.options)).evidenceUnit!;
    t.true(newer.content.case === "text" && newer.content.value.includes(marker));

    const again = await openTestSession(dev, { asOf: "2026-01-01T00:00:00Z" });
    const older = (await dev.fetchSpan({ sessionId: again.sessionId, params: { objectId } }, again.options)).evidenceUnit!;
    t.is(older.versionId, v1[0]?.versionId ?? "");
    t.false(older.content.case === "text" && older.content.value.includes(marker));
    t.is((await dev.listVersions({ sessionId: again.sessionId, params: { objectId } }, again.options)).versions.length, 1);

    const diff = (await dev.diff({ sessionId: t2.sessionId, params: { objectId, v1: v1[0]!.versionId, v2: v2[1]!.versionId } }, t2.options)).evidenceUnit!;
    t.is(diff.versionId, v2[1]!.versionId);
    t.true(diff.content.case === "text" && diff.content.value.includes(`+${marker}`));
    t.is(diff.transformChain[0]?.transformType, "diff_unified_v1");
    t.like(await failure(dev.diff({ sessionId: t2.sessionId, params: { objectId, v1: "b".repeat(64), v2: v2[1]!.versionId } }, t2.options)), {
      code: Code.NotFound,
      message: "requested version not found",
    });
  });

  test("rows are read as of the session's time, from the version store once observed", async (t) => {
    const dev = t.context.strict.client("analyst");
    const customer = name("cust_stale");
    const db = t.context.strict.app.deps.ledger.db;
    await db.sql`INSERT INTO pecr_fixture_customers VALUES ('local', ${customer}, 'active', 'pro', 'a', 's', 'i', '2026-01-01T00:00:00Z')`;
    const read = async (asOf: string) => {
      const session = await openTestSession(dev, { asOf });
      const rows = await dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", fields: ["status"], filterSpec: { customer_id: customer } } }, session.options);
      return rows.evidenceUnits[0]!;
    };
    const v1 = await read("2026-01-01T00:00:00Z");
    t.deepEqual(v1.content.value, { status: "active" });
    const marker = name("STALE_MARKER");
    await db.sql`UPDATE pecr_fixture_customers SET status = ${marker}, updated_at = '2026-02-01T00:00:00Z' WHERE customer_id = ${customer}`;
    const v2 = await read("2026-02-01T00:00:00Z");
    t.deepEqual(v2.content.value, { status: marker });
    t.not(v2.versionId, v1.versionId);
    const old = await read("2026-01-01T00:00:00Z");
    t.is(old.versionId, v1.versionId);
    t.deepEqual(old.content.value, { status: "active" });
    t.false(t.context.strict.logs.some((line) => line.includes(marker)));
  });

  // ---- Redact ----------------------------------------------------------------------------------------------------

  test.serial("redact applies the session's directive to evidence emitted here and refuses anything else", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const rows = await dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note", "status"], filterSpec: { customer_id: "cust_public_1" } } }, session.options);
    const unit = rows.evidenceUnits[0]!;
    const unchanged = await dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: [unit] } }, session.options);
    t.is(unchanged.evidenceUnits[0]?.evidenceUnitId, unit.evidenceUnitId, "dev's decision carries no redaction");

    t.context.policy.set({
      kind: "override",
      decide: (input) => (input.op_name === "redact" ? { allow: true, cacheable: false, reason: "test_redact", redaction: { kind: "deny_fields", fields: ["admin_note"] } } : undefined),
    });
    t.teardown(() => t.context.policy.set({ kind: "normal" }));
    const redacted = (await dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: [unit] } }, session.options)).evidenceUnits[0]!;
    t.not(redacted.evidenceUnitId, unit.evidenceUnitId);
    t.deepEqual(redacted.content.value, { status: "active" });
    t.is(redacted.transformChain.at(-1)?.transformType, "redaction");

    const tampered = { ...unit, content: { case: "json" as const, value: { admin_note: "forged", status: "active" } } };
    t.like(await failure(dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: [tampered] } }, session.options)), { message: "EvidenceUnit.content_hash mismatch" });
    const other = await openTestSession(dev);
    t.like(await failure(dev.redact({ sessionId: other.sessionId, params: { evidenceUnits: [unit] } }, other.options)), { message: "evidence_unit_id not emitted in this session" });
    const text = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    t.like(await failure(dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: [text] } }, session.options)), { message: "redact supports application/json evidence only" });
  });

  // ---- Finalize --------------------------------------------------------------------------------------------------

  test("finalize: SUPPORTED needs evidence from this session; the gate only downgrades; a finalized session is closed", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    const claim = (ids: string[]) => ({ claimText: "Public fixture document (public_1).", status: ClaimStatus.SUPPORTED, evidenceUnitIds: ids });
    t.like(await failure(dev.finalize({ sessionId: session.sessionId, claimMap: { terminalMode: TerminalMode.SUPPORTED, claims: [claim(["f".repeat(64)])] } }, session.options)), {
      code: Code.InvalidArgument,
      message: "claim references evidence not emitted in this trace",
    });
    const done = await dev.finalize({ sessionId: session.sessionId, responseText: "answer", claimMap: { terminalMode: TerminalMode.SUPPORTED, coverageThreshold: 0, claims: [claim([unit.evidenceUnitId])] } }, session.options);
    t.is(done.terminalMode, TerminalMode.SUPPORTED);
    t.is(done.responseText, "answer");
    t.is(done.claimMap?.coverageThreshold, 0.95);
    t.true((done.claimMap?.coverageObserved ?? 0) >= 0.95);
    t.like(await failure(dev.finalize({ sessionId: session.sessionId, claimMap: { claims: [] } }, session.options)), {
      code: Code.FailedPrecondition,
      message: "session already finalized",
      detail: "ERR_INVALID_PARAMS",
    });
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)), { code: Code.FailedPrecondition });

    const uncited = await openTestSession(dev);
    const downgraded = await dev.finalize({ sessionId: uncited.sessionId, claimMap: { terminalMode: TerminalMode.SUPPORTED, claims: [claim([])] } }, uncited.options);
    t.is(downgraded.terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    t.is(downgraded.claimMap?.claims[0]?.status, ClaimStatus.UNKNOWN);
    const permission = await openTestSession(dev);
    const kept = await dev.finalize({ sessionId: permission.sessionId, claimMap: { terminalMode: TerminalMode.INSUFFICIENT_PERMISSION, claims: [] } }, permission.options);
    t.is(kept.terminalMode, TerminalMode.INSUFFICIENT_PERMISSION);
  });

  // ---- Session credentials, budgets, rate limits, allowlist ------------------------------------------------------

  test.serial("session credentials: missing, wrong and expired tokens, another principal, unknown sessions", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const params = { objectId: "public/public_1.txt" };
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params })), { code: Code.Unauthenticated, message: "missing or invalid session token", detail: "ERR_POLICY_DENIED" });
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params }, { headers: { "x-pecr-session-token": "x".repeat(43) } })), {
      code: Code.Unauthenticated,
      message: "invalid session credentials",
    });
    t.like(await failure(t.context.main.client("support").fetchSpan({ sessionId: session.sessionId, params }, session.options)), {
      code: Code.Unauthenticated,
      message: "invalid session credentials",
    });
    t.like(await failure(dev.fetchSpan({ sessionId: "01JD0000000000000000000000", params }, session.options)), { code: Code.NotFound, message: "unknown session_id" });
    const events = await t.context.main.app.deps.ledger.eventsBySession(session.sessionId);
    const reasons = events.flatMap((event) => (event.event.payload.case === "policyDecision" ? [event.event.payload.value.reason] : []));
    t.true(reasons.includes("principal_mismatch"));
    t.true(reasons.includes("invalid_session_token"));

    const expiring = await openTestSession(dev);
    t.context.clockOffsetMs.value = 16 * 60 * 1000;
    t.teardown(() => (t.context.clockOffsetMs.value = 0));
    t.like(await failure(dev.fetchSpan({ sessionId: expiring.sessionId, params }, expiring.options)), { code: Code.Unauthenticated, message: "invalid session credentials" });
  });

  test("budgets: zero means zero, and the next call past the limit is refused", async (t) => {
    const dev = t.context.main.client("dev");
    const one = await openTestSession(dev, { budget: { ...DEFAULT_BUDGET, maxOperatorCalls: 1 } });
    await dev.listVersions({ sessionId: one.sessionId, params: { objectId: "public/public_1.txt" } }, one.options);
    t.like(await failure(dev.listVersions({ sessionId: one.sessionId, params: { objectId: "public/public_1.txt" } }, one.options)), {
      code: Code.ResourceExhausted,
      message: "budget exceeded",
      detail: "ERR_BUDGET_EXCEEDED",
      hint: TerminalMode.INSUFFICIENT_EVIDENCE,
      retryable: false,
    });
    const noBytes = await openTestSession(dev, { budget: { ...DEFAULT_BUDGET, maxBytes: 0n } });
    t.like(await failure(dev.search({ sessionId: noBytes.sessionId, params: { query: "x" } }, noBytes.options)), { code: Code.ResourceExhausted });
    const small = await openTestSession(dev, { budget: { ...DEFAULT_BUDGET, maxBytes: 200n } });
    t.like(await failure(dev.fetchSpan({ sessionId: small.sessionId, params: { objectId: "injection/injection_1.txt" } }, small.options)), {
      code: Code.ResourceExhausted,
      message: "budget exceeded",
    });
  });

  test("rate limits refuse a principal's requests past the window's limit, checked before the request is looked at", async (t) => {
    const client = t.context.strict.client("guest");
    const invalidBudget = { ...DEFAULT_BUDGET, maxOperatorCalls: 10_001 };
    // An invalid request is an attempt too: it uses up one of the window's five.
    t.like(await failure(client.createSession({ budget: invalidBudget })), { code: Code.InvalidArgument, detail: "ERR_INVALID_PARAMS" });
    for (let i = 0; i < 4; i++) await client.createSession({ budget: DEFAULT_BUDGET });
    const limited = { code: Code.ResourceExhausted, message: "rate limit exceeded for session creation", detail: "ERR_RATE_LIMITED", retryable: true };
    t.like(await failure(client.createSession({ budget: DEFAULT_BUDGET })), limited);
    // Past the limit, the request is refused for the limit whatever it holds (reference §11.1: rate limit before params).
    t.like(await failure(client.createSession({ budget: invalidBudget })), limited);
  });

  test("an operator removed from the allowlist is refused before the policy is asked; an unknown RPC is Unimplemented", async (t) => {
    const dev = t.context.strict.client("dev");
    const session = await openTestSession(dev);
    const aggregate = { viewId: "safe_customer_view_public", metrics: [{ name: "count", field: "customer_id" }] };
    t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: aggregate }, session.options)), {
      code: Code.InvalidArgument,
      message: "operator not allowlisted",
    });
    const response = await fetch(`${t.context.strict.url}/pecr.gateway.v1.GatewayService/DropDatabase`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-pecr-principal-id": "dev" },
      body: "{}",
    });
    t.is(response.status, 404);
  });

  test.serial("a policy engine that is down or too slow fails closed with the source-unavailable hint", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    t.teardown(() => t.context.policy.set({ kind: "normal" }));
    t.context.policy.set({ kind: "unavailable" });
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)), {
      code: Code.Unavailable,
      message: "policy engine unavailable",
      detail: "ERR_SOURCE_UNAVAILABLE",
      hint: TerminalMode.SOURCE_UNAVAILABLE,
      retryable: true,
    });
    t.like(await failure(dev.createSession({ budget: DEFAULT_BUDGET })), { code: Code.Unavailable });
    t.context.policy.set({ kind: "timeout" });
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)), {
      code: Code.DeadlineExceeded,
      message: "policy engine timeout",
      detail: "ERR_SOURCE_TIMEOUT",
    });
  });

  // ---- Audit and the ledger --------------------------------------------------------------------------------------

  test("audit RPCs: auditors read evidence metadata and events; others are denied; the chain verifies", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    const auditor = t.context.main.client("auditor");
    const evidence = await auditor.getEvidence({ evidenceUnitIds: [unit.evidenceUnitId, "0".repeat(64)] });
    t.is(evidence.evidenceUnits.length, 1);
    t.is(evidence.evidenceUnits[0]?.contentHash, unit.contentHash);
    t.is(evidence.evidenceUnits[0]?.content.case, undefined, "metadata-only by default");
    const events = await auditor.listEvents({ sessionId: session.sessionId });
    const types = events.events.map((record) => record.event?.payload.case);
    t.deepEqual(types.slice(0, 2), ["policyDecision", "sessionCreated"]);
    t.true(types.includes("evidenceEmitted") && types.includes("operatorCall"));
    for (const record of events.events) {
      t.is(record.eventHash, hashMessage(LedgerEventSchema, fromBinary(LedgerEventSchema, record.canonicalBytes)));
    }
    t.like(await failure(t.context.main.client("support").listEvents({})), { code: Code.PermissionDenied });
    const verification = (await auditor.verifyLedger({})).verification!;
    t.true(verification.ok, JSON.stringify(verification.firstBreak));
  });

  test("Connect JSON over HTTP/1.1 reaches the same operator as gRPC over HTTP/2", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const response = await fetch(`${t.context.main.url}/pecr.gateway.v1.GatewayService/FetchSpan`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-pecr-principal-id": "dev", ...session.options.headers },
      body: JSON.stringify({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }),
    });
    t.is(response.status, 200);
    const body = (await response.json()) as { evidenceUnit: { evidenceUnitId: string } };
    t.regex(body.evidenceUnit.evidenceUnitId, /^[0-9a-f]{64}$/);
  });

  test("logs carry trace and request ids and never evidence content, canaries or raw evidence ids", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "restricted/restricted_1.txt" } }, session.options)).evidenceUnit!;
    await dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_admin", fields: ["admin_note"] } }, session.options);
    const logs = t.context.main.logs.join("\n");
    t.true(logs.includes(session.traceId));
    t.false(logs.includes(CANARY_RESTRICTED));
    t.false(logs.includes(CANARY_ADMIN_1));
    t.false(logs.includes("Restricted fixture document (restricted_1)."));
    t.false(logs.includes(unit.evidenceUnitId));
    t.false(logs.includes(session.token));
    const lines = t.context.main.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    t.true(lines.some((line) => line.msg === "gateway.call_operator" && line.trace_id === session.traceId && typeof line.request_id === "string"));
  });
}
