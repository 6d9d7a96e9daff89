/**
 * How gateway errors reach the controller's callers:
 * - an operator call's error becomes a terminal-mode hint for the run (the gateway's `ErrorDetail.terminal_mode_hint`
 *   when present; otherwise PermissionDenied → INSUFFICIENT_PERMISSION, Unavailable / DeadlineExceeded / a
 *   transport failure → SOURCE_UNAVAILABLE, anything else → INSUFFICIENT_EVIDENCE);
 * - an error of CreateSession or Finalize is passed through to the caller with the gateway's code, message and
 *   ErrorDetail, but none of the gateway's response metadata; a failure without an ErrorDetail (the gateway never
 *   answered) becomes Unavailable ERR_SOURCE_UNAVAILABLE "gateway request failed", or DeadlineExceeded
 *   ERR_SOURCE_TIMEOUT "gateway request timed out".
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { type ErrorCode, PecrError, errors } from "#core/errors/pecr-error.js";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { ErrorDetailSchema } from "#gen/pecr/v1/error_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** What the controller learns from a failed gateway call. */
export interface GatewayFailure {
  /** The Connect code. */
  readonly code: Code;
  /** The gateway's error code (`ERR_…`); for failures without a detail, the code implied by `code`. */
  readonly errorCode: ErrorCode | string;
  /** The terminal mode a run stopping on this failure ends in. */
  readonly hint: TerminalMode;
  /** Whether the gateway answered with an ErrorDetail (false: transport failure, client-side deadline). */
  readonly fromGateway: boolean;
}

function hintForCode(code: Code): TerminalMode {
  switch (code) {
    case Code.PermissionDenied:
    case Code.Unauthenticated:
      return TerminalMode.INSUFFICIENT_PERMISSION;
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.Unknown:
    case Code.Internal:
    case Code.Aborted:
      return TerminalMode.SOURCE_UNAVAILABLE;
    default:
      return TerminalMode.INSUFFICIENT_EVIDENCE;
  }
}

function errorCodeForCode(code: Code): ErrorCode {
  if (code === Code.DeadlineExceeded) return "ERR_SOURCE_TIMEOUT";
  if (code === Code.PermissionDenied) return "ERR_POLICY_DENIED";
  return "ERR_SOURCE_UNAVAILABLE";
}

/** Classifies an error thrown by a gateway call. */
export function classifyGatewayError(error: unknown): GatewayFailure {
  const connectError = ConnectError.from(error);
  const detail = findErrorDetail(connectError);
  if (detail === undefined) {
    // No detail: the gateway did not answer (refused connection, reset stream, our own deadline). Such a
    // failure says nothing about permissions, so only the code decides.
    const code = connectError.code === Code.DeadlineExceeded ? Code.DeadlineExceeded : connectError.code;
    const hint = code === Code.PermissionDenied ? TerminalMode.INSUFFICIENT_PERMISSION : TerminalMode.SOURCE_UNAVAILABLE;
    return { code, errorCode: errorCodeForCode(code), hint, fromGateway: false };
  }
  // An error can never mean SUPPORTED; a detail claiming so (or no mode, or an unknown one) falls back to the code.
  const usable =
    detail.terminalModeHint !== TerminalMode.UNSPECIFIED &&
    detail.terminalModeHint !== TerminalMode.SUPPORTED &&
    TerminalMode[detail.terminalModeHint] !== undefined;
  const hint = usable ? detail.terminalModeHint : hintForCode(connectError.code);
  return { code: connectError.code, errorCode: detail.code, hint, fromGateway: true };
}

/**
 * The error a controller caller gets for a failed CreateSession or Finalize: the gateway's status and detail
 * (pass-through), or a PecrError for a gateway that could not be reached. A caller's own cancellation stays
 * Canceled.
 */
export function passThroughGatewayError(error: unknown): ConnectError | PecrError {
  // Our own checks of the gateway's answer (e.g. no session token) are already typed.
  if (error instanceof PecrError) return error;
  const connectError = ConnectError.from(error);
  const detail = findErrorDetail(connectError);
  if (detail !== undefined) {
    return new ConnectError(connectError.rawMessage, connectError.code, undefined, [
      { desc: ErrorDetailSchema, value: detail },
    ]);
  }
  if (connectError.code === Code.Canceled) return connectError;
  if (connectError.code === Code.DeadlineExceeded) return errors.sourceTimeout("gateway request timed out", { cause: error });
  return errors.sourceUnavailable("gateway request failed", { cause: error });
}
