/**
 * The errors of the MCP audit RPCs beyond the shared catalogue: each a PecrError with a fixed message, so the
 * same refusal always gets the same bytes and no approval state leaks to callers who may not see it.
 */
import { Code } from "@connectrpc/connect";
import { PecrError } from "#core/errors/pecr-error.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** Constructors of the MCP audit errors. */
export const mcpAuditErrors = {
  /** An approval that does not exist, or that the caller may not see (NotFound, so existence is not revealed). */
  unknownApproval: () =>
    new PecrError({
      code: "ERR_INVALID_PARAMS",
      status: Code.NotFound,
      hint: TerminalMode.INSUFFICIENT_EVIDENCE,
      retryable: false,
      message: "unknown approval_id",
    }),
  /** A decision on an approval that was already decided. */
  alreadyDecided: () =>
    new PecrError({
      code: "ERR_INVALID_PARAMS",
      status: Code.FailedPrecondition,
      hint: TerminalMode.INSUFFICIENT_EVIDENCE,
      retryable: false,
      message: "approval already decided",
    }),
  /** A decision by a principal not authenticated as a human. */
  approverNotHuman: () =>
    new PecrError({
      code: "ERR_POLICY_DENIED",
      status: Code.PermissionDenied,
      hint: TerminalMode.INSUFFICIENT_PERMISSION,
      retryable: false,
      message: "only a human principal may decide approvals",
    }),
  /** An ALLOWED outcome recorded under another rule than mcp-006 (the contract's convention). */
  allowedRule: () =>
    new PecrError({
      code: "ERR_INVALID_PARAMS",
      status: Code.InvalidArgument,
      hint: TerminalMode.INSUFFICIENT_EVIDENCE,
      retryable: false,
      message: "allowed outcomes are recorded under mcp-006-consent-boundaries",
    }),
} as const;
