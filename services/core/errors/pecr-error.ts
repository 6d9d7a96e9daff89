/**
 * PECR's typed domain error and its catalogue. Domain code throws these; the error-mapping interceptor turns
 * them into ConnectErrors with a `pecr.v1.ErrorDetail`. Messages are fixed strings (never echoing parameters or
 * content), so identical bad requests get byte-identical errors.
 */
import { Code } from "@connectrpc/connect";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** The stable error codes carried in `ErrorDetail.code`. */
export type ErrorCode =
  | "ERR_INVALID_PARAMS"
  | "ERR_POLICY_DENIED"
  | "ERR_AUTH_REQUIRED"
  | "ERR_AUTH_INVALID"
  | "ERR_AUTH_UNAVAILABLE"
  | "ERR_RATE_LIMITED"
  | "ERR_BUDGET_EXCEEDED"
  | "ERR_SOURCE_UNAVAILABLE"
  | "ERR_SOURCE_TIMEOUT"
  | "ERR_LEDGER_UNAVAILABLE"
  | "ERR_DB_UNAVAILABLE"
  | "ERR_MCP_RULE_BLOCKED"
  | "ERR_MCP_ESCALATED"
  | "ERR_INTERNAL";

/** Everything a client learns about an error. */
export interface PecrErrorInit {
  /** Stable code. */
  readonly code: ErrorCode;
  /** gRPC/Connect status code. */
  readonly status: Code;
  /** Terminal mode a run stopping on this error should end in. */
  readonly hint: TerminalMode;
  /** Whether repeating the request later may succeed. */
  readonly retryable: boolean;
  /** Fixed, deterministic message. */
  readonly message: string;
}

/** A typed PECR error; `cause` is logged, never sent. */
export class PecrError extends Error {
  override readonly name = "PecrError";
  /** Stable code. */
  readonly code: ErrorCode;
  /** gRPC/Connect status code. */
  readonly status: Code;
  /** Terminal mode hint. */
  readonly hint: TerminalMode;
  /** Whether the request may be retried. */
  readonly retryable: boolean;

  /** Creates an error from its catalogue entry; `cause` is kept for logs only. */
  constructor(init: PecrErrorInit, options?: { cause?: unknown }) {
    super(init.message, options);
    this.code = init.code;
    this.status = init.status;
    this.hint = init.hint;
    this.retryable = init.retryable;
  }
}

const { INSUFFICIENT_EVIDENCE, INSUFFICIENT_PERMISSION, SOURCE_UNAVAILABLE } = {
  INSUFFICIENT_EVIDENCE: TerminalMode.INSUFFICIENT_EVIDENCE,
  INSUFFICIENT_PERMISSION: TerminalMode.INSUFFICIENT_PERMISSION,
  SOURCE_UNAVAILABLE: TerminalMode.SOURCE_UNAVAILABLE,
};

function entry(code: ErrorCode, status: Code, hint: TerminalMode, retryable: boolean) {
  return (message: string, options?: { cause?: unknown }) =>
    new PecrError({ code, status, hint, retryable, message }, options);
}

/** Constructors for every error PECR returns, grouped by code. */
export const errors = {
  /** ERR_INVALID_PARAMS, InvalidArgument. */
  invalidParams: entry("ERR_INVALID_PARAMS", Code.InvalidArgument, INSUFFICIENT_EVIDENCE, false),
  /** ERR_INVALID_PARAMS "unknown session_id", NotFound. */
  unknownSession: () =>
    entry("ERR_INVALID_PARAMS", Code.NotFound, INSUFFICIENT_EVIDENCE, false)("unknown session_id"),
  /** ERR_INVALID_PARAMS "session already finalized", FailedPrecondition. */
  sessionFinalized: () =>
    entry("ERR_INVALID_PARAMS", Code.FailedPrecondition, INSUFFICIENT_EVIDENCE, false)("session already finalized"),
  /** ERR_POLICY_DENIED, Unauthenticated (missing principal, bad session credentials). */
  credentialsDenied: entry("ERR_POLICY_DENIED", Code.Unauthenticated, INSUFFICIENT_PERMISSION, false),
  /** ERR_POLICY_DENIED "policy denied", PermissionDenied. */
  policyDenied: () =>
    entry("ERR_POLICY_DENIED", Code.PermissionDenied, INSUFFICIENT_PERMISSION, false)("policy denied"),
  /** ERR_AUTH_REQUIRED, Unauthenticated. */
  authRequired: entry("ERR_AUTH_REQUIRED", Code.Unauthenticated, INSUFFICIENT_PERMISSION, false),
  /** ERR_AUTH_INVALID, Unauthenticated. */
  authInvalid: entry("ERR_AUTH_INVALID", Code.Unauthenticated, INSUFFICIENT_PERMISSION, false),
  /** ERR_AUTH_UNAVAILABLE, Unavailable (JWKS unreachable). */
  authUnavailable: entry("ERR_AUTH_UNAVAILABLE", Code.Unavailable, SOURCE_UNAVAILABLE, true),
  /** ERR_RATE_LIMITED, ResourceExhausted. */
  rateLimited: entry("ERR_RATE_LIMITED", Code.ResourceExhausted, INSUFFICIENT_PERMISSION, true),
  /** ERR_BUDGET_EXCEEDED "budget exceeded", ResourceExhausted. */
  budgetExceeded: () =>
    entry("ERR_BUDGET_EXCEEDED", Code.ResourceExhausted, INSUFFICIENT_EVIDENCE, false)("budget exceeded"),
  /** ERR_SOURCE_UNAVAILABLE, Unavailable. */
  sourceUnavailable: entry("ERR_SOURCE_UNAVAILABLE", Code.Unavailable, SOURCE_UNAVAILABLE, true),
  /** ERR_SOURCE_UNAVAILABLE, NotFound (object or version missing; not retryable). */
  sourceNotFound: entry("ERR_SOURCE_UNAVAILABLE", Code.NotFound, SOURCE_UNAVAILABLE, false),
  /** ERR_SOURCE_TIMEOUT, DeadlineExceeded. */
  sourceTimeout: entry("ERR_SOURCE_TIMEOUT", Code.DeadlineExceeded, SOURCE_UNAVAILABLE, true),
  /** ERR_LEDGER_UNAVAILABLE "ledger unavailable", Unavailable. */
  ledgerUnavailable: (options?: { cause?: unknown }) =>
    entry("ERR_LEDGER_UNAVAILABLE", Code.Unavailable, SOURCE_UNAVAILABLE, true)("ledger unavailable", options),
  /** ERR_DB_UNAVAILABLE, Unavailable. */
  dbUnavailable: entry("ERR_DB_UNAVAILABLE", Code.Unavailable, SOURCE_UNAVAILABLE, true),
  /** ERR_MCP_RULE_BLOCKED, PermissionDenied. */
  mcpBlocked: entry("ERR_MCP_RULE_BLOCKED", Code.PermissionDenied, INSUFFICIENT_PERMISSION, false),
  /** ERR_MCP_ESCALATED, FailedPrecondition (waiting for a human's approval). */
  mcpEscalated: entry("ERR_MCP_ESCALATED", Code.FailedPrecondition, INSUFFICIENT_PERMISSION, true),
  /** ERR_INTERNAL, Internal; the message is generic, details go to the log through `cause`. */
  internal: (options?: { cause?: unknown; hint?: TerminalMode }) =>
    new PecrError(
      {
        code: "ERR_INTERNAL",
        status: Code.Internal,
        hint: options?.hint ?? SOURCE_UNAVAILABLE,
        retryable: false,
        message: "internal error",
      },
      options,
    ),
} as const;
