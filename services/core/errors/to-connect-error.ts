/**
 * Maps any thrown value to a ConnectError carrying a `pecr.v1.ErrorDetail`, the only shape errors leave a PECR
 * service in. Unknown errors become a generic Internal error; their details stay in the log.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, type ErrorDetail } from "#gen/pecr/v1/error_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { type ErrorCode, PecrError } from "./pecr-error.js";

/** Reads the `ErrorDetail` of an error, if it carries one. */
export function findErrorDetail(error: unknown): ErrorDetail | undefined {
  return ConnectError.from(error).findDetails(ErrorDetailSchema)[0];
}

/** Builds the ConnectError for a PecrError. */
export function pecrErrorToConnect(error: PecrError): ConnectError {
  return new ConnectError(error.message, error.status, undefined, [
    { desc: ErrorDetailSchema, value: { code: error.code, terminalModeHint: error.hint, retryable: error.retryable } },
  ]);
}

/**
 * Converts anything thrown by a handler into a ConnectError with an ErrorDetail:
 * - PecrError: its catalogue entry;
 * - ConnectError without an ErrorDetail (validation, unknown RPC, deadline, cancel): the same code and message
 *   plus a detail derived from the code;
 * - anything else: Internal "internal error".
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof PecrError) return pecrErrorToConnect(error);
  if (error instanceof ConnectError) {
    if (error.findDetails(ErrorDetailSchema).length > 0) return error;
    error.details.push({ desc: ErrorDetailSchema, value: create(ErrorDetailSchema, detailForCode(error.code)) });
    return error;
  }
  return new ConnectError("internal error", Code.Internal, undefined, [
    { desc: ErrorDetailSchema, value: detailForCode(Code.Internal) },
  ]);
}

function detailForCode(code: Code): { code: ErrorCode; terminalModeHint: TerminalMode; retryable: boolean } {
  switch (code) {
    case Code.InvalidArgument:
    case Code.NotFound:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
    case Code.Unimplemented:
    case Code.AlreadyExists:
      return { code: "ERR_INVALID_PARAMS", terminalModeHint: TerminalMode.INSUFFICIENT_EVIDENCE, retryable: false };
    case Code.Unauthenticated:
      return { code: "ERR_AUTH_INVALID", terminalModeHint: TerminalMode.INSUFFICIENT_PERMISSION, retryable: false };
    case Code.PermissionDenied:
      return { code: "ERR_POLICY_DENIED", terminalModeHint: TerminalMode.INSUFFICIENT_PERMISSION, retryable: false };
    case Code.ResourceExhausted:
      return { code: "ERR_RATE_LIMITED", terminalModeHint: TerminalMode.INSUFFICIENT_PERMISSION, retryable: true };
    case Code.DeadlineExceeded:
      return { code: "ERR_SOURCE_TIMEOUT", terminalModeHint: TerminalMode.SOURCE_UNAVAILABLE, retryable: true };
    case Code.Unavailable:
    case Code.Aborted:
    case Code.Canceled:
      return { code: "ERR_SOURCE_UNAVAILABLE", terminalModeHint: TerminalMode.SOURCE_UNAVAILABLE, retryable: true };
    default:
      return { code: "ERR_INTERNAL", terminalModeHint: TerminalMode.SOURCE_UNAVAILABLE, retryable: false };
  }
}
