/**
 * The gateway's error catalogue (reference §2.10) through a real server, the entries the main suite
 * (gateway-suite.ts) leaves out: required operator parameters, object ids leaving the corpus root, bytes that are
 * not UTF-8, the diff size cap, field, filter and metric rules, redact's unit checks, the finalize gate's claim
 * checks, the local shared secret, operator and finalize rate limits, the session-lock timeout and the audit RPCs
 * refused to non-auditors. It also shows that an operator off the allowlist never reaches the policy, and that the
 * staleness and leakage counters of /metrics really count. Every error is checked for its gRPC code, exact message,
 * ErrorDetail code and, where the catalogue gives one, the terminal-mode hint.
 * Registered once per ledger backend (gateway-errors-pglite.test.ts, gateway-errors-postgres.test.ts).
 */
import type { TestFn } from "ava";
import { symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Code, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import { OperatorOutcome } from "#gen/pecr/v1/ledger_pb.js";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { sourceVersionId } from "#core/canonical/identities.js";
import type { PolicyInput } from "../../../services/gateway/policy/policy-engine.js";
import { type Backend, type GatewayHarness, startGatewayHarness } from "../../support/gateway-harness.js";
import { connectFailure, DEFAULT_BUDGET, failure, openTestSession, reportedError, type TestSession } from "../../support/gateway-sessions.js";
import { createSwitchablePolicy } from "../../support/switchable-policy.js";
import { scrapeCounters } from "../../../scripts/perf/support/metric-counter.js";

/** Context shared by the suite's tests. */
export interface ErrorsSuiteContext {
  /** A gateway with a small diff cap whose policy denies the egress of one document (`EGRESS_DENIED`). */
  main: GatewayHarness;
  /** A gateway with a local shared secret, tight operator and finalize rate limits, and no `aggregate`. */
  limited: GatewayHarness;
  /** Every policy input `limited` decided, in order. */
  limitedDecisions: PolicyInput[];
}

/** The diff cap of `main`, bytes. */
const DIFF_CAP = 1024;
/** Operator calls and finalize calls per window and principal on `limited`. */
const OPERATOR_LIMIT = 3;
const FINALIZE_LIMIT = 2;
const SECRET = "errors-suite-shared-secret";
/** A document of `main` that the operator-call decision allows and the egress check's read decision denies. */
const EGRESS_DENIED = "public/egress_denied.txt";

const INVALID = { code: Code.InvalidArgument, detail: "ERR_INVALID_PARAMS", hint: TerminalMode.INSUFFICIENT_EVIDENCE, retryable: false };

let unique = 0;
const name = (prefix: string) => `${prefix}_${process.pid}_${unique++}`;

/** A client of `url` acting as `principalId` in local mode, sending `secret` when given. */
function localClient(url: string, principalId: string | undefined, secret: string | undefined): Client<typeof GatewayService> {
  const headers: Interceptor = (next) => (request) => {
    if (principalId !== undefined) request.header.set("x-pecr-principal-id", principalId);
    if (secret !== undefined) request.header.set("x-pecr-local-auth-secret", secret);
    return next(request);
  };
  return createClient(GatewayService, createGrpcTransport({ baseUrl: url, interceptors: [headers] }));
}

/** The value of counter `metric` on the gateway's /metrics. */
async function counter(gateway: GatewayHarness, metric: string): Promise<number> {
  return (await scrapeCounters(gateway.url, metric)).get("") ?? 0;
}

/** Payloads of the ledger events of `sessionId`. */
async function sessionPayloads(gateway: GatewayHarness, sessionId: string) {
  return (await gateway.app.deps.ledger.eventsBySession(sessionId)).map((stored) => stored.event.payload);
}

/** Registers the suite on `test` for `backend`. */
export function registerGatewayErrorsSuite(test: TestFn<ErrorsSuiteContext>, backend: Backend): void {
  test.before(async (t) => {
    const mainPolicy = await createSwitchablePolicy();
    mainPolicy.set({
      kind: "override",
      // The egress check asks whether the caller may read each unit with an empty params hash; the call's own
      // decision carries the call's hash. Denying only the former makes the check, not the decision, refuse.
      decide: (input) =>
        input.op_name === "fetch_span" && input.object_id === EGRESS_DENIED && input.params_hash === ""
          ? { allow: false, cacheable: false, reason: "test_egress_denied", redaction: undefined }
          : undefined,
    });
    const limitedPolicy = await createSwitchablePolicy();
    const limitedDecisions: PolicyInput[] = [];
    limitedPolicy.set({ kind: "override", decide: (input) => void limitedDecisions.push(input) });
    const [main, limited] = await Promise.all([
      startGatewayHarness({ backend, policy: mainPolicy, env: { PECR_FS_DIFF_MAX_BYTES: String(DIFF_CAP) } }),
      startGatewayHarness({
        backend,
        policy: limitedPolicy,
        env: {
          PECR_LOCAL_AUTH_SHARED_SECRET: SECRET,
          PECR_RATE_LIMIT_OPERATORS_PER_WINDOW: String(OPERATOR_LIMIT),
          PECR_RATE_LIMIT_FINALIZE_PER_WINDOW: String(FINALIZE_LIMIT),
          PECR_OPERATOR_ALLOWLIST: "search,fetch_span,fetch_rows,list_versions,diff,redact",
        },
      }),
    ]);
    writeFileSync(join(main.corpusDir, EGRESS_DENIED), "A document whose egress the test policy denies.\n");
    t.context = { main, limited, limitedDecisions };
  });
  test.after.always(async (t) => {
    await t.context.main?.close();
    await t.context.limited?.close();
  });

  // ---- Counters (serial: no other test of this file runs meanwhile, so the deltas are exactly this test's) --------

  test.serial("a read served with a version first observed after the session's as_of counts one staleness error; time-correct reads count none", async (t) => {
    const { main } = t.context;
    const dev = main.client("dev");
    const objectId = `public/${name("stale")}.txt`;
    writeFileSync(join(main.corpusDir, objectId), "The only version this document ever had.\n");
    const read = async (asOf: string) => {
      const session = await openTestSession(dev, { asOf });
      return (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId } }, session.options)).evidenceUnit!;
    };
    const before = await counter(main, "pecr_gateway_staleness_errors_total");
    const first = await read("2026-03-01T00:00:00Z");
    const later = await read("2026-04-01T00:00:00Z");
    t.is(await counter(main, "pecr_gateway_staleness_errors_total"), before, "first observed at or before as_of: time-correct");
    // Nothing was observed at or before 2026-01-01: the only version known was first seen on 2026-03-01.
    const earlier = await read("2026-01-01T00:00:00Z");
    t.is(earlier.versionId, first.versionId);
    t.is(later.versionId, first.versionId);
    t.is(await counter(main, "pecr_gateway_staleness_errors_total"), before + 1);
  });

  test.serial("an egress check denial withholds the response, records LEAK_DETECTED and counts one leakage detection", async (t) => {
    const { main } = t.context;
    const dev = main.client("dev");
    const session = await openTestSession(dev);
    const before = await counter(main, "pecr_gateway_leakage_detections_total");
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: EGRESS_DENIED } }, session.options)), {
      code: Code.Internal,
      message: "internal error",
      detail: "ERR_INTERNAL",
      hint: TerminalMode.INSUFFICIENT_PERMISSION,
      retryable: false,
    });
    t.is(await counter(main, "pecr_gateway_leakage_detections_total"), before + 1);
    const payloads = await sessionPayloads(main, session.sessionId);
    const leaks = payloads.flatMap((payload) => (payload.case === "leakDetected" ? [payload.value] : []));
    t.is(leaks.length, 1);
    t.like(leaks[0], { opName: "fetch_span", reason: "policy_denies_object" });
    t.false(payloads.some((payload) => payload.case === "evidenceEmitted"), "withheld evidence is not emitted into the session");
    // The same session reads other documents normally: only the denied one leaves nothing.
    await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options);
    t.is(await counter(main, "pecr_gateway_leakage_detections_total"), before + 1);
  });

  // ---- Required parameters -------------------------------------------------------------------------------------

  test("diff requires object_id, v1 and v2, each refused with its own message", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const sha = "a".repeat(64);
    const diff = (params: { objectId: string; v1: string; v2: string }) => failure(dev.diff({ sessionId: session.sessionId, params }, session.options));
    t.like(await diff({ objectId: "", v1: sha, v2: sha }), { ...INVALID, message: "params.object_id is required" });
    t.like(await diff({ objectId: "public/public_1.txt", v1: "", v2: sha }), { ...INVALID, message: "params.v1 is required" });
    t.like(await diff({ objectId: "public/public_1.txt", v1: sha, v2: "" }), { ...INVALID, message: "params.v2 is required" });
  });

  test("fetch_rows and aggregate require a view_id", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    for (const viewId of ["", "   "]) {
      t.like(await failure(dev.fetchRows({ sessionId: session.sessionId, params: { viewId, fields: ["status"] } }, session.options)), {
        ...INVALID,
        message: "params.view_id is required",
      });
      const metrics = [{ name: "count", field: "customer_id" }];
      t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: { viewId, metrics } }, session.options)), {
        ...INVALID,
        message: "params.view_id is required",
      });
    }
  });

  // ---- Documents: the corpus root, UTF-8, the diff cap --------------------------------------------------------

  test("object ids that leave the corpus root are refused: parent segments, absolute paths and symbolic links", async (t) => {
    const { main } = t.context;
    const dev = main.client("dev");
    const session = await openTestSession(dev);
    const fetch = (objectId: string) => failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId } }, session.options));
    for (const objectId of ["../x", "/etc/passwd", "public/../../x", "public/./public_1.txt"]) {
      t.like(await fetch(objectId), { ...INVALID, message: "object_id must be a relative path without parent components" }, objectId);
    }
    // A file and a directory next to the corpus, reached through links inside it.
    const outside = join(main.corpusDir, "..", name("outside"));
    mkdirSync(outside);
    writeFileSync(join(outside, "secret.txt"), "OUTSIDE_THE_CORPUS\n");
    const fileLink = `public/${name("file_link")}.txt`;
    const dirLink = name("dir_link");
    symlinkSync(join(outside, "secret.txt"), join(main.corpusDir, fileLink));
    symlinkSync(outside, join(main.corpusDir, dirLink));
    const escapes = { ...INVALID, message: "object_id escapes corpus root" };
    t.like(await fetch(fileLink), escapes);
    t.like(await fetch(`${dirLink}/secret.txt`), escapes);
    t.like(await failure(dev.listVersions({ sessionId: session.sessionId, params: { objectId: fileLink } }, session.options)), escapes);
  });

  test("bytes that are not UTF-8 are refused: a span of them, and a diff whose v1 or v2 is such a version", async (t) => {
    const { main } = t.context;
    const dev = main.client("dev");
    const session = await openTestSession(dev);
    // "café" in Latin-1: 0xE9 is not valid UTF-8 on its own.
    const latin1 = Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    const spanObject = `public/${name("latin1")}.txt`;
    writeFileSync(join(main.corpusDir, spanObject), latin1);
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: spanObject } }, session.options)), {
      ...INVALID,
      message: "span is not valid UTF-8",
    });
    const prefix = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: spanObject, startByte: 0n, endByte: 3n } }, session.options)).evidenceUnit!;
    t.deepEqual(prefix.content, { case: "text", value: "caf" }, "the ASCII prefix of the same document is a valid span");

    // A UTF-8 version, stored by list_versions, then replaced by the Latin-1 bytes.
    const diffObject = `public/${name("latin1_diff")}.txt`;
    writeFileSync(join(main.corpusDir, diffObject), "cafe\n");
    const [utf8] = (await dev.listVersions({ sessionId: session.sessionId, params: { objectId: diffObject } }, session.options)).versions;
    writeFileSync(join(main.corpusDir, diffObject), latin1);
    const notUtf8 = sourceVersionId(latin1);
    const diff = (v1: string, v2: string) => failure(dev.diff({ sessionId: session.sessionId, params: { objectId: diffObject, v1, v2 } }, session.options));
    t.like(await diff(notUtf8, utf8!.versionId), { ...INVALID, message: "version v1 is not valid UTF-8" });
    t.like(await diff(utf8!.versionId, notUtf8), { ...INVALID, message: "version v2 is not valid UTF-8" });
  });

  test("a diff larger than PECR_FS_DIFF_MAX_BYTES is refused; a smaller one is emitted", async (t) => {
    const { main } = t.context;
    const dev = main.client("dev");
    const session = await openTestSession(dev);
    const diffAfter = async (replacement: string) => {
      const objectId = `public/${name("diff_cap")}.txt`;
      const path = join(main.corpusDir, objectId);
      writeFileSync(path, "first line\n");
      const [v1] = (await dev.listVersions({ sessionId: session.sessionId, params: { objectId } }, session.options)).versions;
      writeFileSync(path, replacement);
      return dev.diff({ sessionId: session.sessionId, params: { objectId, v1: v1!.versionId, v2: sourceVersionId(new TextEncoder().encode(replacement)) } }, session.options);
    };
    const small = (await diffAfter("first line\nsecond line\n")).evidenceUnit!;
    t.true(small.content.case === "text" && small.content.value.length <= DIFF_CAP && small.content.value.includes("+second line"));
    const large = `first line\n${"a line that makes the patch grow past the configured cap\n".repeat(40)}`;
    t.like(await failure(diffAfter(large)), { ...INVALID, message: "diff exceeds size cap" });
  });

  // ---- Safe views: fields, filters, metrics ---------------------------------------------------------------------

  test("fetch_rows refuses an empty field list and more fields than PECR_PG_SAFEVIEW_MAX_FIELDS (50)", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const fetchRows = (fields: string[]) =>
      failure(dev.fetchRows({ sessionId: session.sessionId, params: { viewId: "safe_customer_view_public", fields } }, session.options));
    t.like(await fetchRows([]), { ...INVALID, message: "params.fields must be a non-empty array" });
    t.like(await fetchRows(["", "   "]), { ...INVALID, message: "params.fields must be a non-empty array" });
    const names = (count: number) => Array.from({ length: count }, (_, index) => `f${String(index).padStart(2, "0")}`);
    t.like(await fetchRows(names(51)), { ...INVALID, message: "params.fields exceeds max field count" });
    // Exactly the maximum passes the count check and fails on the first name that is not allowlisted.
    t.like(await fetchRows(names(50)), { ...INVALID, message: "field not allowlisted: f00" });
    // Duplicates count once (up to the proto's bound of 64 items per request).
    t.like(await fetchRows([...names(50), ...names(14)]), { ...INVALID, message: "field not allowlisted: f00" });
  });

  test("filter_spec values must be non-empty, and a metric needs both a name and a field", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const viewId = "safe_customer_view_public";
    const metrics = [{ name: "count", field: "customer_id" }];
    for (const value of ["", "   "]) {
      t.like(await failure(dev.fetchRows({ sessionId: session.sessionId, params: { viewId, fields: ["status"], filterSpec: { customer_id: value } } }, session.options)), {
        ...INVALID,
        message: "filter_spec.customer_id must be a non-empty string",
      });
      t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: { viewId, metrics, filterSpec: { status: value } } }, session.options)), {
        ...INVALID,
        message: "filter_spec.status must be a non-empty string",
      });
    }
    for (const metric of [{ name: "", field: "customer_id" }, { name: "count", field: " " }]) {
      t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: { viewId, metrics: [metric] } }, session.options)), {
        ...INVALID,
        message: "metric name and field are required",
      });
    }
  });

  // ---- Redact -------------------------------------------------------------------------------------------------

  test("redact refuses units that are malformed, bound to another snapshot or time, without content, or whose id does not match", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    const redact = (changed: EvidenceUnit) => failure(dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: [changed] } }, session.options));
    t.like(await redact({ ...unit, evidenceUnitId: "not-a-sha256" }), { ...INVALID, message: "invalid EvidenceUnit" });
    const unbound = { ...INVALID, message: "EvidenceUnit is not bound to this session's snapshot and as_of_time" };
    t.like(await redact({ ...unit, policySnapshotHash: "0".repeat(64) }), unbound);
    t.like(await redact({ ...unit, asOfTime: { ...unit.asOfTime!, seconds: unit.asOfTime!.seconds + 1n } }), unbound);
    t.like(await redact({ ...unit, content: { case: undefined } }), { ...INVALID, message: "EvidenceUnit.content is required" });
    // The content still hashes to content_hash, but the identity no longer matches the id.
    t.like(await redact({ ...unit, versionId: "e".repeat(64) }), { ...INVALID, message: "EvidenceUnit.evidence_unit_id mismatch" });
    // The unchanged unit passes (dev's decision carries no redaction).
    const passed = await dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: [unit] } }, session.options);
    t.is(passed.evidenceUnits[0]?.evidenceUnitId, unit.evidenceUnitId);
  });

  test("redact refuses more than 200 units, at the proto's bound, before the session is charged", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    const tooMany = dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: Array.from({ length: 201 }, () => unit) } }, session.options);
    const refused = await connectFailure(tooMany);
    // The bound is the proto's (`repeated.max_items = 200`, HOUSE_STYLE: protovalidate failures carry Violations), so
    // the message is protovalidate's, not reference §2.10's "evidence_units too large"; code and detail are the same.
    t.like(reportedError(refused), { ...INVALID, message: "params.evidence_units: must contain no more than 200 item(s) [repeated.max_items]" });
    t.deepEqual(
      refused.findDetails(ViolationsSchema)[0]?.violations.map((violation) => violation.ruleId),
      ["repeated.max_items"],
    );
    t.false((await sessionPayloads(t.context.main, session.sessionId)).some((payload) => payload.case === "operatorCall" && payload.value.opName === "redact"));
    const accepted = await dev.redact({ sessionId: session.sessionId, params: { evidenceUnits: Array.from({ length: 200 }, () => unit) } }, session.options);
    t.is(accepted.evidenceUnits.length, 200);
  });

  // ---- Finalize -----------------------------------------------------------------------------------------------

  test("finalize refuses a claim with empty text or evidence ids that are not sha256, and leaves the session open", async (t) => {
    const dev = t.context.main.client("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    const finalize = (claimText: string, evidenceUnitIds: string[]) =>
      dev.finalize(
        { sessionId: session.sessionId, claimMap: { terminalMode: TerminalMode.SUPPORTED, claims: [{ claimText, status: ClaimStatus.SUPPORTED, evidenceUnitIds }] } },
        session.options,
      );
    for (const text of ["", "   \n\t"]) {
      t.like(await failure(finalize(text, [unit.evidenceUnitId])), { ...INVALID, message: "claim.claim_text must be non-empty" });
    }
    for (const id of ["not-a-sha256", unit.evidenceUnitId.toUpperCase(), `${unit.evidenceUnitId.slice(0, 63)}g`]) {
      t.like(await failure(finalize("Public fixture document.", [unit.evidenceUnitId, id])), { ...INVALID, message: "claim.evidence_unit_ids must be sha256 hex" }, id);
    }
    const done = await finalize("Public fixture document.", [unit.evidenceUnitId]);
    t.is(done.terminalMode, TerminalMode.SUPPORTED);
  });

  // ---- The session lock -----------------------------------------------------------------------------------------

  test("a call on a session whose lease another instance keeps past the lock timeout fails with the lock timeout and is not charged", async (t) => {
    const { main } = t.context;
    const dev = main.client("dev");
    const session: TestSession = await openTestSession(dev);
    const params = { objectId: "public/public_1.txt" };
    t.is((await dev.fetchSpan({ sessionId: session.sessionId, params }, session.options)).usage?.operatorCallsUsed, 1n);
    const db = main.app.deps.ledger.db;
    // Another instance holds the lease for far longer than this gateway waits (max(PECR_LEDGER_WRITE_TIMEOUT_MS, 200)).
    await db.sql`UPDATE pecr_session_runtime SET lease_owner = 'another-instance', lease_expires_at = clock_timestamp() + interval '10 minutes'
      WHERE session_id = ${session.sessionId}`;
    const release = () => db.sql`UPDATE pecr_session_runtime SET lease_owner = NULL, lease_expires_at = NULL WHERE session_id = ${session.sessionId}`;
    t.teardown(async () => void (await release()));
    t.like(await failure(dev.fetchSpan({ sessionId: session.sessionId, params }, session.options)), {
      code: Code.DeadlineExceeded,
      message: "session lock acquisition timed out",
      detail: "ERR_SOURCE_TIMEOUT",
      hint: TerminalMode.SOURCE_UNAVAILABLE,
      retryable: true,
    });
    await release();
    t.is((await dev.fetchSpan({ sessionId: session.sessionId, params }, session.options)).usage?.operatorCallsUsed, 2n, "the timed-out call was not charged");
    const calls = (await sessionPayloads(main, session.sessionId)).filter((payload) => payload.case === "operatorCall");
    t.is(calls.length, 2, "the timed-out call recorded nothing");
  });

  // ---- Audit RPCs -----------------------------------------------------------------------------------------------

  test("GetEvidence and VerifyLedger are denied to principals that are not auditors", async (t) => {
    const { main } = t.context;
    const dev = main.client("dev");
    const session = await openTestSession(dev);
    const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options)).evidenceUnit!;
    const denied = { code: Code.PermissionDenied, message: "policy denied", detail: "ERR_POLICY_DENIED", hint: TerminalMode.INSUFFICIENT_PERMISSION, retryable: false };
    for (const principal of ["support", "analyst", "guest"]) {
      const client = main.client(principal);
      t.like(await failure(client.getEvidence({ evidenceUnitIds: [unit.evidenceUnitId] })), denied, principal);
      t.like(await failure(client.verifyLedger({})), denied, principal);
    }
    const auditor = main.client("auditor");
    t.is((await auditor.getEvidence({ evidenceUnitIds: [unit.evidenceUnitId] })).evidenceUnits.length, 1);
    t.true((await auditor.verifyLedger({})).verification?.ok);
  });

  // ---- Local shared secret, rate limits, allowlist (the `limited` gateway) ----------------------------------------

  test("with a local shared secret configured, a call without it or with a wrong one is refused before the principal is read", async (t) => {
    const { url } = t.context.limited;
    const budget = { budget: DEFAULT_BUDGET };
    const missing = { code: Code.Unauthenticated, message: "missing local auth secret", detail: "ERR_AUTH_REQUIRED", hint: TerminalMode.INSUFFICIENT_PERMISSION, retryable: false };
    const invalid = { code: Code.Unauthenticated, message: "invalid local auth secret", detail: "ERR_AUTH_INVALID", hint: TerminalMode.INSUFFICIENT_PERMISSION, retryable: false };
    t.like(await failure(localClient(url, "guest", undefined).createSession(budget)), missing);
    t.like(await failure(localClient(url, "guest", "").createSession(budget)), missing);
    t.like(await failure(localClient(url, "guest", `${SECRET}x`).createSession(budget)), invalid);
    t.like(await failure(localClient(url, "guest", SECRET.slice(1)).createSession(budget)), invalid);
    t.like(await failure(localClient(url, undefined, "wrong").createSession(budget)), invalid, "the secret is checked before the principal header");
    t.like(await failure(localClient(url, "guest", "wrong").fetchSpan({ sessionId: "01JD0000000000000000000000", params: { objectId: "public/public_1.txt" } })), invalid);
    t.like(await failure(localClient(url, undefined, SECRET).createSession(budget)), { code: Code.Unauthenticated, message: "missing x-pecr-principal-id header", detail: "ERR_POLICY_DENIED" });
    const created = await localClient(url, "guest", SECRET).createSession(budget);
    t.regex(created.sessionId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  test("operator calls past the window's limit are refused for the rate limit, before the session or the params are looked at", async (t) => {
    const { limited } = t.context;
    const support = localClient(limited.url, "support", SECRET);
    const session = await openTestSession(support);
    const params = { objectId: "public/public_1.txt" };
    for (let call = 1; call <= OPERATOR_LIMIT; call++) {
      t.is((await support.fetchSpan({ sessionId: session.sessionId, params }, session.options)).usage?.operatorCallsUsed, BigInt(call));
    }
    const limitedError = { code: Code.ResourceExhausted, message: "rate limit exceeded for operator calls", detail: "ERR_RATE_LIMITED", hint: TerminalMode.INSUFFICIENT_PERMISSION, retryable: true };
    t.like(await failure(support.fetchSpan({ sessionId: session.sessionId, params }, session.options)), limitedError);
    // Every operator RPC shares the family's window; no token and bad params do not change the answer.
    t.like(await failure(support.listVersions({ sessionId: session.sessionId, params }, session.options)), limitedError);
    t.like(await failure(support.fetchSpan({ sessionId: session.sessionId, params: { objectId: "../x" } })), limitedError);
    const calls = (await sessionPayloads(limited, session.sessionId)).filter((payload) => payload.case === "operatorCall");
    t.is(calls.length, OPERATOR_LIMIT, "refused calls never reached the session");
    // Other families and other principals have their own windows.
    await support.createSession({ budget: DEFAULT_BUDGET });
    const analyst = localClient(limited.url, "analyst", SECRET);
    const other = await openTestSession(analyst);
    await analyst.listVersions({ sessionId: other.sessionId, params }, other.options);
  });

  test("finalize calls past the window's limit are refused for the rate limit; the refused session stays open", async (t) => {
    const { limited } = t.context;
    const guest = localClient(limited.url, "guest", SECRET);
    const sessions = [];
    for (let index = 0; index <= FINALIZE_LIMIT; index++) sessions.push(await openTestSession(guest));
    const finalize = (session: TestSession) => guest.finalize({ sessionId: session.sessionId, claimMap: { claims: [] } }, session.options);
    for (const session of sessions.slice(0, FINALIZE_LIMIT)) t.is((await finalize(session)).terminalMode, TerminalMode.INSUFFICIENT_EVIDENCE);
    const last = sessions[FINALIZE_LIMIT]!;
    t.like(await failure(finalize(last)), {
      code: Code.ResourceExhausted,
      message: "rate limit exceeded for finalize calls",
      detail: "ERR_RATE_LIMITED",
      hint: TerminalMode.INSUFFICIENT_PERMISSION,
      retryable: true,
    });
    t.false((await sessionPayloads(limited, last.sessionId)).some((payload) => payload.case === "finalizeResult"));
  });

  test("an operator removed from the allowlist is refused before the policy is asked: no decision is requested and the ledger records only operator_not_allowlisted", async (t) => {
    const { limited, limitedDecisions } = t.context;
    const dev = localClient(limited.url, "dev", SECRET);
    const session = await openTestSession(dev);
    const asked = () => limitedDecisions.filter((input) => input.session_id === session.sessionId);
    const aggregate = { viewId: "safe_customer_view_public", metrics: [{ name: "count", field: "customer_id" }] };
    t.like(await failure(dev.aggregate({ sessionId: session.sessionId, params: aggregate }, session.options)), { ...INVALID, message: "operator not allowlisted" });
    t.deepEqual(asked(), [], "the policy was not asked about anything in this session");
    const decisions = (await sessionPayloads(limited, session.sessionId)).flatMap((payload) =>
      payload.case === "policyDecision" && payload.value.action === PolicyAction.OPERATOR_CALL ? [payload.value] : [],
    );
    t.deepEqual(decisions.map((decision) => [decision.opName, decision.allow, decision.reason]), [["aggregate", false, "operator_not_allowlisted"]]);
    const calls = (await sessionPayloads(limited, session.sessionId)).flatMap((payload) => (payload.case === "operatorCall" ? [payload.value] : []));
    t.deepEqual(calls.map((call) => [call.opName, call.outcome]), [["aggregate", OperatorOutcome.DENIED]]);
    // The recorder does see this session's decisions once an allowlisted operator runs.
    await dev.listVersions({ sessionId: session.sessionId, params: { objectId: "public/public_1.txt" } }, session.options);
    t.true(asked().some((input) => input.op_name === "list_versions"));
  });
}
