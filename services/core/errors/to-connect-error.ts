/**
 * Maps any thrown value to a ConnectError carrying a `pecr.v1.ErrorDetail`, the only shape errors leave a PECR
 * service in. Unknown errors become a generic Internal error; their details stay in the log.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, type ErrorDetail } from "#gen/pecr/v1/error_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { CanonicalEncodingError } from "#core/canonical/canonical-encoding.js";
import { type ErrorCode, errors, PecrError } from "./pecr-error.js";

/** Reads the `ErrorDetail` of an error, if it carries one. */
export function findErrorDetail(error: unknown): ErrorDetail | undefined {
  return ConnectError.from(error).findDetails(ErrorDetailSchema)[0];
}

/**
 * The PecrError a domain failure stands for: PecrErrors as they are, a value without canonical form (client
 * input) as ERR_INVALID_PARAMS, anything else as ERR_INTERNAL (its details kept as the cause, for the log).
 */
export function asPecrError(cause: unknown): PecrError {
  if (cause instanceof PecrError) return cause;
  if (cause instanceof CanonicalEncodingError) return errors.invalidParams(`invalid message: ${cause.message}`, { cause });
  return errors.internal({ cause });
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
 * - CanonicalEncodingError (a value without canonical form, from the client): InvalidArgument;
 * - ConnectError without an ErrorDetail (validation, unknown RPC, deadline, cancel): the same code and message
 *   plus a detail derived from the code;
 * - anything else: Internal "internal error".
 */
export function toConnectError(error: unknown): ConnectError {
  // Client values with no canonical form (a lone surrogate in a JSON string, NaN) are bad input, not a fault.
  if (error instanceof PecrError || error instanceof CanonicalEncodingError) return pecrErrorToConnect(asPecrError(error));
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
