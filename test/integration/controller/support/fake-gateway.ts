/**
 * A fake GatewayService that behaves as the contract says, for the controller's tests while the real gateway is
 * being written: local-mode credentials (principal header, optional shared secret) or a bearer token (its `sub`,
 * unverified: the controller verified it), a capability token in the
 * `x-pecr-session-token` header, the budget counted as the gateway does (calls; canonical parameter bytes plus
 * result bytes; refused calls not charged), a toy policy (guest may open sessions but every operator is denied;
 * dev and support read `public/`; admin reads everything), search as a case-sensitive substring match over the
 * fixture corpus, FetchSpan/FetchRows emitting evidence units with real ids, and Finalize through the real
 * finalize gate. Every request is recorded (headers, deadline) and failures can be injected.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { contentHash, evidenceUnitId, operatorParamsDigest, sourceVersionId } from "#core/canonical/identities.js";
import { type PecrError, errors } from "#core/errors/pecr-error.js";
import { pecrErrorToConnect } from "#core/errors/to-connect-error.js";
import { newUlid, parseUlid } from "#core/observability/request-ids.js";
import { finalizeGate } from "../../../../services/gateway/finalize/finalize-gate.js";
import {
  type CreateSessionResponse,
  CreateSessionResponseSchema,
  GatewayService,
} from "#gen/pecr/gateway/v1/gateway_pb.js";
import { type Budget, type BudgetUsage, BudgetUsageSchema } from "#gen/pecr/v1/budget_pb.js";
import { type EvidenceUnit, EvidenceUnitRefSchema, EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import { type OperatorParams, OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** The fixture corpus, read by the fake (never by the controller). */
export const CORPUS_DIR = new URL("../../../../fixtures/fs_corpus/", import.meta.url);

/** Every document of the corpus: object id → text. */
export function readCorpus(): Map<string, string> {
  const docs = new Map<string, string>();
  for (const entry of readdirSync(CORPUS_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const dir = entry.parentPath.slice(new URL(CORPUS_DIR).pathname.length).replace(/\/$/, "");
    const objectId = dir === "" ? entry.name : `${dir}/${entry.name}`;
    docs.set(objectId, readFileSync(new URL(objectId, CORPUS_DIR), "utf8"));
  }
  return docs;
}

/** What each principal may read; `null` denies every operator. */
const READABLE: Record<string, readonly string[] | null> = {
  dev: ["public/"],
  support: ["public/"],
  admin: ["public/", "restricted/", "injection/"],
  guest: null,
};

/** Rows of `safe_customer_view_public` (db/fixtures/safeview.sql). */
const CUSTOMER_ROWS: Record<string, { status: string; plan_tier: string }> = {
  cust_public_1: { status: "active", plan_tier: "free" },
};

/** One recorded request. */
export interface RecordedRequest {
  /** RPC method name, e.g. `CreateSession`, `Search`. */
  readonly method: string;
  /** The request headers (lower-case names). */
  readonly headers: Record<string, string>;
  /** The deadline the client sent (`connect-timeout-ms` or `grpc-timeout`), ms; undefined when none was sent. */
  readonly timeoutMs: number | undefined;
  /** What was left of that deadline when the handler ran, ms. */
  readonly remainingMs: number | undefined;
  /** Operator parameters, for operator calls. */
  readonly params?: OperatorParams;
  /** The requested as_of time (CreateSession), in seconds. */
  readonly asOfSeconds?: bigint;
}

/** Injected behaviour. */
export interface FakeGatewayHooks {
  /** Fails CreateSession with this error. */
  createSessionError?: (principalId: string) => PecrError | undefined;
  /** Fails an operator call (after it was charged) with this error. */
  operatorError?: (params: OperatorParams, principalId: string) => PecrError | undefined;
  /** Awaited before an operator runs (e.g. hang until the client's deadline). */
  beforeOperator?: (params: OperatorParams, ctx: HandlerContext) => Promise<void>;
  /** Fails Finalize with this error. */
  finalizeError?: () => PecrError | undefined;
  /** The shared secret callers must present, if any. */
  sharedSecret?: string;
  /** Answers CreateSession without the token header (a broken gateway). */
  omitToken?: boolean;
}

interface Session {
  readonly id: string;
  readonly principalId: string;
  readonly token: string;
  readonly traceId: string;
  readonly budget: Budget;
  readonly snapshotHash: string;
  readonly emitted: Set<string>;
  calls: bigint;
  bytes: bigint;
  finalized: boolean;
  readonly response: CreateSessionResponse;
}

/** The fake and what it saw. */
export interface FakeGateway {
  /** Registers the fake GatewayService. */
  readonly routes: (router: ConnectRouter) => void;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Sessions by id. */
  readonly sessions: ReadonlyMap<string, { readonly emitted: ReadonlySet<string>; readonly principalId: string; readonly finalized: boolean }>;
  /** Hooks, changeable between tests. */
  readonly hooks: FakeGatewayHooks;
  /** Most operator calls in flight at once. */
  peakInFlight(): number;
}

function headersOf(ctx: HandlerContext): Record<string, string> {
  const headers: Record<string, string> = {};
  ctx.requestHeader.forEach((value, key) => (headers[key] = value));
  return headers;
}

/** The deadline a client sent, read from the protocol's header (exact, unlike the time left on arrival). */
function sentTimeoutMs(headers: Headers): number | undefined {
  const connect = headers.get("connect-timeout-ms");
  if (connect !== null) return Number(connect);
  const grpc = /^(\d+)([HMSmun])$/.exec(headers.get("grpc-timeout") ?? "");
  if (grpc === null) return undefined;
  const scale = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }[grpc[2] as "H"];
  return Number(grpc[1]) * scale;
}

function fail(error: PecrError): never {
  throw pecrErrorToConnect(error);
}

/** Creates the fake over the fixture corpus. */
export function createFakeGateway(hooks: FakeGatewayHooks = {}): FakeGateway {
  const corpus = readCorpus();
  const sessions = new Map<string, Session>();
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let peak = 0;

  const authenticate = (ctx: HandlerContext): string => {
    if (hooks.sharedSecret !== undefined && ctx.requestHeader.get("x-pecr-local-auth-secret") !== hooks.sharedSecret) {
      fail(errors.authInvalid("invalid local auth secret"));
    }
    // OIDC callers: the fake trusts the token's `sub` without verifying it (the controller verified it).
    const bearer = /^Bearer (.+)$/.exec(ctx.requestHeader.get("authorization") ?? "")?.[1];
    if (bearer !== undefined) {
      const payload = JSON.parse(Buffer.from(bearer.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: string };
      return payload.sub ?? fail(errors.authInvalid("JWT validation failed"));
    }
    const principalId = ctx.requestHeader.get("x-pecr-principal-id")?.trim() ?? "";
    if (principalId === "") fail(errors.credentialsDenied("missing x-pecr-principal-id header"));
    return principalId;
  };

  const record = (method: string, ctx: HandlerContext, params?: OperatorParams, asOfSeconds?: bigint) =>
    requests.push({
      method,
      headers: headersOf(ctx),
      timeoutMs: sentTimeoutMs(ctx.requestHeader),
      remainingMs: ctx.timeoutMs(),
      ...(params ? { params } : {}),
      ...(asOfSeconds === undefined ? {} : { asOfSeconds }),
    });

  const sessionFor = (sessionId: string, ctx: HandlerContext): Session => {
    const principalId = authenticate(ctx);
    const session = sessions.get(sessionId);
    if (session === undefined) fail(errors.unknownSession());
    if (session.finalized) fail(errors.sessionFinalized());
    if (session.principalId !== principalId || ctx.requestHeader.get("x-pecr-session-token") !== session.token) {
      fail(errors.credentialsDenied("invalid session credentials"));
    }
    return session;
  };

  const usage = (session: Session): BudgetUsage =>
    create(BudgetUsageSchema, { operatorCallsUsed: session.calls, bytesUsed: session.bytes });

  const readable = (principalId: string, objectId: string) =>
    (READABLE[principalId] ?? []).some((prefix) => objectId.startsWith(prefix));

  const unit = (session: Session, init: { sourceSystem: string; objectId: string; versionId: string; content: EvidenceUnit["content"] }) => {
    const base = create(EvidenceUnitSchema, {
      sourceSystem: init.sourceSystem,
      objectId: init.objectId,
      versionId: init.versionId,
      content: init.content,
      contentHash: contentHash(init.content as { case: "text"; value: string }),
      policySnapshotHash: session.snapshotHash,
      asOfTime: session.response.asOfTime,
      retrievedAt: timestampNow(),
      policySnapshotId: session.response.policySnapshotId,
    });
    base.evidenceUnitId = evidenceUnitId(base);
    session.emitted.add(base.evidenceUnitId);
    return base;
  };

  /** The common operator pipeline: session checks, budget, policy, the operator, result bytes. */
  async function operate<R>(
    method: string,
    sessionId: string,
    params: OperatorParams,
    ctx: HandlerContext,
    run: (session: Session) => { response: R; bytes: (response: R) => number },
  ): Promise<R> {
    record(method, ctx, params);
    const session = sessionFor(sessionId, ctx);
    const paramsBytes = BigInt(operatorParamsDigest(params).bytes);
    if (session.calls >= BigInt(session.budget.maxOperatorCalls)) fail(errors.budgetExceeded());
    if (session.bytes + paramsBytes > session.budget.maxBytes) fail(errors.budgetExceeded());
    session.calls++;
    session.bytes += paramsBytes;
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      await hooks.beforeOperator?.(params, ctx);
      if (READABLE[session.principalId] === null || READABLE[session.principalId] === undefined) fail(errors.policyDenied());
      const injected = hooks.operatorError?.(params, session.principalId);
      if (injected) fail(injected);
      const { response, bytes } = run(session);
      const resultBytes = BigInt(bytes(response));
      if (session.bytes + resultBytes > session.budget.maxBytes) fail(errors.budgetExceeded());
      session.bytes += resultBytes;
      return response;
    } finally {
      inFlight--;
    }
  }

  const operatorParams = (init: OperatorParams["params"]) => create(OperatorParamsSchema, { params: init });

  const impl: Partial<ServiceImpl<typeof GatewayService>> = {
    createSession(req, ctx) {
      record("CreateSession", ctx, undefined, req.asOfTime?.seconds);
      const principalId = authenticate(ctx);
      const injected = hooks.createSessionError?.(principalId);
      if (injected) fail(injected);
      const traceId = parseUlid(ctx.requestHeader.get("x-pecr-trace-id")) ?? newUlid();
      const token = randomBytes(32).toString("hex");
      const response = create(CreateSessionResponseSchema, {
        sessionId: newUlid(),
        traceId,
        policySnapshotId: newUlid(),
        policySnapshotHash: contentHash({ case: "text", value: `snapshot:${principalId}` }),
        asOfTime: req.asOfTime ?? { seconds: 1_767_225_600n, nanos: 0 },
        ...(req.budget ? { budget: req.budget } : {}),
      });
      sessions.set(response.sessionId, {
        id: response.sessionId,
        principalId,
        token,
        traceId,
        budget: req.budget!,
        snapshotHash: response.policySnapshotHash,
        emitted: new Set(),
        calls: 0n,
        bytes: 0n,
        finalized: false,
        response,
      });
      if (hooks.omitToken !== true) ctx.responseHeader.set("x-pecr-session-token", token);
      ctx.responseTrailer.set("x-gateway-internal", "must-not-leak");
      return response;
    },

    search(req, ctx) {
      const params = operatorParams({ case: "search", value: req.params! });
      return operate("Search", req.sessionId, params, ctx, (session) => {
        const query = req.params!.query.trim();
        if (query === "") fail(errors.invalidParams("query must not be empty"));
        const limit = Math.min(req.params!.limit === 0 ? 10 : req.params!.limit, 50);
        const refs = [...corpus.entries()]
          .filter(([objectId, text]) => readable(session.principalId, objectId) && text.includes(query))
          .map(([objectId]) => objectId)
          .sort()
          .slice(0, limit)
          .map((objectId) => {
            const versionId = sourceVersionId(Buffer.from(corpus.get(objectId)!));
            return create(EvidenceUnitRefSchema, { evidenceUnitId: versionId, sourceSystem: "fs_corpus", objectId, versionId });
          });
        const response = { terminalMode: TerminalMode.SUPPORTED, refs, usage: usage(session) };
        return { response, bytes: () => refs.reduce((sum, ref) => sum + ref.objectId.length + 150, 0) };
      }).then((response) => ({ ...response, usage: usage(sessions.get(req.sessionId)!) }));
    },

    fetchSpan(req, ctx) {
      const params = operatorParams({ case: "fetchSpan", value: req.params! });
      return operate("FetchSpan", req.sessionId, params, ctx, (session) => {
        const objectId = req.params!.objectId;
        const text = corpus.get(objectId);
        if (!readable(session.principalId, objectId)) fail(errors.policyDenied());
        if (text === undefined) fail(errors.sourceNotFound("object not found"));
        const evidenceUnit = unit(session, {
          sourceSystem: "fs_corpus",
          objectId,
          versionId: sourceVersionId(Buffer.from(text)),
          content: { case: "text", value: text },
        });
        const response = { terminalMode: TerminalMode.SUPPORTED, evidenceUnit };
        return { response, bytes: () => toBinary(EvidenceUnitSchema, evidenceUnit).length };
      }).then((response) => ({ ...response, usage: usage(sessions.get(req.sessionId)!) }));
    },

    fetchRows(req, ctx) {
      const params = operatorParams({ case: "fetchRows", value: req.params! });
      return operate("FetchRows", req.sessionId, params, ctx, (session) => {
        if (req.params!.viewId !== "safe_customer_view_public") fail(errors.invalidParams("view not allowlisted"));
        const customerId = req.params!.filterSpec.customer_id;
        const row = customerId === undefined ? undefined : CUSTOMER_ROWS[customerId];
        const evidenceUnits = row
          ? [
              unit(session, {
                sourceSystem: "pg_safeview",
                objectId: `safe_customer_view_public:local:${customerId}`,
                versionId: contentHash({ case: "json", value: row }),
                content: {
                  case: "json",
                  value: Object.fromEntries(req.params!.fields.map((field) => [field, row[field as keyof typeof row] ?? null])),
                },
              }),
            ]
          : [];
        const response = { terminalMode: TerminalMode.SUPPORTED, evidenceUnits };
        return { response, bytes: () => evidenceUnits.reduce((sum, item) => sum + toBinary(EvidenceUnitSchema, item).length, 0) };
      }).then((response) => ({ ...response, usage: usage(sessions.get(req.sessionId)!) }));
    },

    listVersions(req, ctx) {
      const params = operatorParams({ case: "listVersions", value: req.params! });
      return operate("ListVersions", req.sessionId, params, ctx, (session) => {
        const text = corpus.get(req.params!.objectId);
        if (!readable(session.principalId, req.params!.objectId)) fail(errors.policyDenied());
        const versions = text === undefined ? [] : [{ versionId: sourceVersionId(Buffer.from(text)), byteLength: BigInt(text.length) }];
        const response = { terminalMode: TerminalMode.SUPPORTED, versions };
        return { response, bytes: () => versions.length * 80 };
      }).then((response) => ({ ...response, usage: usage(sessions.get(req.sessionId)!) }));
    },

    finalize(req, ctx) {
      record("Finalize", ctx);
      const session = sessionFor(req.sessionId, ctx);
      const injected = hooks.finalizeError?.();
      if (injected) fail(injected);
      const gate = finalizeGate({
        claimMap: req.claimMap!,
        emittedEvidence: session.emitted,
        coverageThreshold: 0.95,
        budget: session.budget,
        usage: usage(session),
      });
      session.finalized = true;
      return { terminalMode: gate.terminalMode, traceId: session.traceId, claimMap: gate.claimMap, responseText: req.responseText };
    },
  };

  return {
    routes: (router) => router.service(GatewayService, impl),
    requests,
    sessions,
    hooks,
    peakInFlight: () => peak,
  };
}
