/**
 * Helpers for tests that drive gateway sessions.
 */
import { ConnectError, type Client } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { findErrorDetail } from "#core/errors/to-connect-error.js";

/** The budget most tests use. */
export const DEFAULT_BUDGET: MessageInitShape<typeof BudgetSchema> = {
  maxOperatorCalls: 20,
  maxBytes: 4_000_000n,
  maxWallclockMs: 10_000n,
  maxRecursionDepth: 5,
  maxParallelism: 2,
};

/** A session opened for a test. */
export interface TestSession {
  /** Session id. */
  readonly sessionId: string;
  /** Trace id. */
  readonly traceId: string;
  /** The capability token. */
  readonly token: string;
  /** Call options carrying the token. */
  readonly options: { headers: Record<string, string> };
}

/** Time as a Timestamp init, from an RFC 3339 string. */
export function at(iso: string): { seconds: bigint; nanos: number } {
  return { seconds: BigInt(Date.parse(iso) / 1000), nanos: 0 };
}

/** Opens a session. */
export async function openTestSession(
  client: Client<typeof GatewayService>,
  init: { budget?: MessageInitShape<typeof BudgetSchema>; asOf?: string } = {},
): Promise<TestSession> {
  let token = "";
  const response = await client.createSession(
    { budget: init.budget ?? DEFAULT_BUDGET, ...(init.asOf ? { asOfTime: at(init.asOf) } : {}) },
    { onHeader: (headers) => (token = headers.get("x-pecr-session-token") ?? "") },
  );
  return { sessionId: response.sessionId, traceId: response.traceId, token, options: { headers: { "x-pecr-session-token": token } } };
}

/** What a failed call reported: the fields a client can rely on. */
export interface ReportedError {
  /** gRPC code name, e.g. `InvalidArgument`. */
  readonly code: number;
  /** The message. */
  readonly message: string;
  /** ErrorDetail code. */
  readonly detail: string | undefined;
  /** ErrorDetail hint. */
  readonly hint: number | undefined;
  /** ErrorDetail retryable. */
  readonly retryable: boolean | undefined;
}

/** Runs a call expected to fail and returns its error (for details beyond `ReportedError`); throws when it succeeds. */
export async function connectFailure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

/** What `error` reported: the fields a client can rely on. */
export function reportedError(error: ConnectError): ReportedError {
  const detail = findErrorDetail(error);
  return { code: error.code, message: error.rawMessage, detail: detail?.code, hint: detail?.terminalModeHint, retryable: detail?.retryable };
}

/** Runs a call expected to fail and returns what it reported; throws when it succeeds. */
export async function failure(call: Promise<unknown>): Promise<ReportedError> {
  return reportedError(await connectFailure(call));
}
