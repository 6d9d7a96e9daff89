/**
 * What one request of the load generator produced: whether the RPC succeeded, the terminal mode it reported
 * (read from the response, or from the error's `pecr.v1.ErrorDetail` hint, as clients are told to), and what an
 * acknowledged call promised to have written to the ledger, for the audit after a fault.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** An acknowledged Run: its session's events must all be in the ledger. */
export interface AcknowledgedRun {
  readonly kind: "run";
  /** The gateway session the run used. */
  readonly sessionId: string;
  /** The run's trace id. */
  readonly traceId: string;
  /** Operator calls the run reported (failed ones included: the gateway charges them). */
  readonly operatorCalls: number;
  /** The run's terminal mode: a run that ended SOURCE_UNAVAILABLE may have calls the ledger could not record. */
  readonly mode: TerminalMode;
}

/** An acknowledged operator call: its OPERATOR_CALL and EVIDENCE_EMITTED events must be in the ledger. */
export interface AcknowledgedOperatorCall {
  readonly kind: "operator";
  /** The session. */
  readonly sessionId: string;
  /** The request id the call carried. */
  readonly requestId: string;
  /** Evidence units returned. */
  readonly evidenceCount: number;
}

/** What the ledger must hold for an acknowledged call. */
export type Acknowledged = AcknowledgedRun | AcknowledgedOperatorCall;

/** The outcome of one request. */
export interface CallOutcome {
  /** The RPC succeeded. */
  readonly rpcOk: boolean;
  /** The terminal mode reported (response or ErrorDetail hint); undefined when there was none. */
  readonly mode: TerminalMode | undefined;
  /** The gRPC code name of a failed RPC (`Unavailable`, ...). */
  readonly code?: string;
  /** The ErrorDetail code of a failed RPC (`ERR_SOURCE_UNAVAILABLE`, ...). */
  readonly errorCode?: string;
  /** What an acknowledged call wrote. */
  readonly ack?: Acknowledged;
}

/** A terminal mode's short name (`SUPPORTED`), or `none`. */
export function modeName(mode: TerminalMode | undefined): string {
  return mode === undefined ? "none" : (TerminalMode[mode] ?? String(mode));
}

/** Runs `call`; a success is mapped by `onOk`, a failure is read from its ErrorDetail. Never throws. */
export async function observe<T>(call: () => Promise<T>, onOk: (response: T) => { mode: TerminalMode; ack?: Acknowledged }): Promise<CallOutcome> {
  try {
    const response = await call();
    return { rpcOk: true, ...onOk(response) };
  } catch (error) {
    return failureOutcome(error);
  }
}

/** The outcome of a failed RPC. */
export function failureOutcome(error: unknown): CallOutcome {
  const connectError = ConnectError.from(error);
  const detail = findErrorDetail(connectError);
  return {
    rpcOk: false,
    mode: detail?.terminalModeHint,
    code: Code[connectError.code],
    errorCode: detail?.code ?? "(no ErrorDetail)",
  };
}
