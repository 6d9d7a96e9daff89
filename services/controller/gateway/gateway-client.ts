/**
 * The gateway client the run uses: CreateSession (capturing the session token from the response header), the
 * seven operators behind one `callOperator` returning a normalised result, Finalize, and a health probe for
 * `/readyz`. Every call takes its credential/correlation headers and deadline from the caller: the client holds no
 * per-run state.
 */
import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Transport, createClient } from "@connectrpc/connect";
import { errors } from "#core/errors/pecr-error.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import {
  AggregateResponseSchema,
  type CreateSessionResponse,
  DiffResponseSchema,
  FetchRowsResponseSchema,
  FetchSpanResponseSchema,
  type FinalizeResponse,
  GatewayService,
  ListVersionsResponseSchema,
  RedactResponseSchema,
  SearchResponseSchema,
} from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { Budget, BudgetUsage } from "#gen/pecr/v1/budget_pb.js";
import type { ClaimMap } from "#gen/pecr/v1/claim_pb.js";
import type { EvidenceUnit, EvidenceUnitRef, SourceVersion } from "#gen/pecr/v1/evidence_pb.js";
import type { OperatorParams } from "#gen/pecr/v1/operator_pb.js";
import { type OperatorName, operatorOf } from "../planners/operators.js";

/** The request and response header carrying the session capability token. */
export const SESSION_TOKEN_HEADER = "x-pecr-session-token";

/** Per-call settings: who is calling, for how long, and how to cancel. */
export interface GatewayCallOptions {
  /** Credential and correlation headers (forwarded credentials, `x-pecr-request-id`, `x-pecr-trace-id`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Deadline of this call in ms (> 0). */
  readonly timeoutMs: number;
  /** Cancels the call (the controller's caller went away). */
  readonly signal?: AbortSignal;
}

/** An opened session. */
export interface GatewaySession {
  /** The gateway's response. */
  readonly response: CreateSessionResponse;
  /** The capability token (from the `x-pecr-session-token` response header). */
  readonly token: string;
}

/** An operator's response, normalised. */
export interface OperatorResult {
  /** Which operator answered. */
  readonly operator: OperatorName;
  /** Evidence units the call emitted into the session (empty for search and list_versions). */
  readonly evidenceUnits: readonly EvidenceUnit[];
  /** Search refs (search only). */
  readonly refs: readonly EvidenceUnitRef[];
  /** Versions (list_versions only). */
  readonly versions: readonly SourceVersion[];
  /** The session's counters after the call, as the gateway counts them. */
  readonly usage: BudgetUsage | undefined;
  /** Size of the response message in protobuf binary, computed on first use (the log line and RunStream share it). */
  responseBytes(): number;
}

/** The calls the controller makes to the gateway. */
export interface GatewayClient {
  /** Opens a session; fails when the gateway sends no token. */
  createSession(
    init: { readonly budget: Budget; readonly asOfTime?: Timestamp | undefined },
    options: GatewayCallOptions,
  ): Promise<GatewaySession>;
  /** Calls one operator in a session. */
  callOperator(session: GatewaySession, params: OperatorParams, options: GatewayCallOptions): Promise<OperatorResult>;
  /** Submits the proposed claim map and closes the session. */
  finalize(
    session: GatewaySession,
    init: { readonly responseText: string; readonly claimMap: ClaimMap },
    options: GatewayCallOptions,
  ): Promise<FinalizeResponse>;
  /** Whether the gateway reports SERVING on `grpc.health.v1.Health/Check` within `timeoutMs`. */
  healthy(timeoutMs: number): Promise<boolean>;
}

function callOptions(options: GatewayCallOptions, token?: string): CallOptions {
  return {
    headers: token === undefined ? { ...options.headers } : { ...options.headers, [SESSION_TOKEN_HEADER]: token },
    timeoutMs: Math.max(1, Math.ceil(options.timeoutMs)),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

function result<Desc extends DescMessage>(
  operator: OperatorName,
  schema: Desc,
  message: MessageShape<Desc>,
  parts: { evidenceUnits?: readonly EvidenceUnit[]; refs?: readonly EvidenceUnitRef[]; versions?: readonly SourceVersion[]; usage: BudgetUsage | undefined },
): OperatorResult {
  let responseBytes: number | undefined;
  return {
    operator,
    evidenceUnits: parts.evidenceUnits ?? [],
    refs: parts.refs ?? [],
    versions: parts.versions ?? [],
    usage: parts.usage,
    responseBytes: () => (responseBytes ??= toBinary(schema, message).length),
  };
}

/** Creates the client over `transport` (see `createGatewayTransport`; tests pass a router transport). */
export function createGatewayClient(transport: Transport): GatewayClient {
  const client = createClient(GatewayService, transport);
  const health = createClient(Health, transport);
  return {
    async createSession(init, options) {
      let token: string | null = null;
      const response = await client.createSession(
        { budget: init.budget, ...(init.asOfTime ? { asOfTime: init.asOfTime } : {}) },
        { ...callOptions(options), onHeader: (headers) => (token = headers.get(SESSION_TOKEN_HEADER)) },
      );
      if (token === null || token === "") throw errors.sourceUnavailable("gateway returned no session token");
      return { response, token };
    },

    async callOperator(session, params, options) {
      const call = callOptions(options, session.token);
      const sessionId = session.response.sessionId;
      const selected = params.params;
      switch (selected.case) {
        case "search": {
          const res = await client.search({ sessionId, params: selected.value }, call);
          return result("search", SearchResponseSchema, res, { refs: res.refs, usage: res.usage });
        }
        case "fetchSpan": {
          const res = await client.fetchSpan({ sessionId, params: selected.value }, call);
          const units = res.evidenceUnit ? [res.evidenceUnit] : [];
          return result("fetch_span", FetchSpanResponseSchema, res, { evidenceUnits: units, usage: res.usage });
        }
        case "fetchRows": {
          const res = await client.fetchRows({ sessionId, params: selected.value }, call);
          return result("fetch_rows", FetchRowsResponseSchema, res, { evidenceUnits: res.evidenceUnits, usage: res.usage });
        }
        case "aggregate": {
          const res = await client.aggregate({ sessionId, params: selected.value }, call);
          const units = res.evidenceUnit ? [res.evidenceUnit] : [];
          return result("aggregate", AggregateResponseSchema, res, { evidenceUnits: units, usage: res.usage });
        }
        case "listVersions": {
          const res = await client.listVersions({ sessionId, params: selected.value }, call);
          return result("list_versions", ListVersionsResponseSchema, res, { versions: res.versions, usage: res.usage });
        }
        case "diff": {
          const res = await client.diff({ sessionId, params: selected.value }, call);
          const units = res.evidenceUnit ? [res.evidenceUnit] : [];
          return result("diff", DiffResponseSchema, res, { evidenceUnits: units, usage: res.usage });
        }
        case "redact": {
          const res = await client.redact({ sessionId, params: selected.value }, call);
          return result("redact", RedactResponseSchema, res, { evidenceUnits: res.evidenceUnits, usage: res.usage });
        }
        default:
          // Plans are checked against the allowlist before they run, so this is a programming error.
          throw errors.internal({ cause: new Error(`no operator for params case ${String(operatorOf(params)?.name)}`) });
      }
    },

    finalize(session, init, options) {
      return client.finalize(
        { sessionId: session.response.sessionId, responseText: init.responseText, claimMap: init.claimMap },
        callOptions(options, session.token),
      );
    },

    async healthy(timeoutMs) {
      try {
        const res = await health.check({ service: "" }, { timeoutMs: Math.max(1, timeoutMs) });
        return res.status === HealthCheckResponse_ServingStatus.SERVING;
      } catch {
        return false;
      }
    },
  };
}

