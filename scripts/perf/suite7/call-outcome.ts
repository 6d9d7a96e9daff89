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
  /**
   * The message of a failed RPC. PECR's messages are fixed strings per cause (pecr-error.ts), and the one thing
   * telling apart errors that share a code: the gateway's `policy engine unavailable` and the controller's own
   * `gateway request failed` are both Unavailable / ERR_SOURCE_UNAVAILABLE.
   */
  readonly message?: string;
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
    message: connectError.rawMessage,
  };
}

/** A failed RPC as the report names it: `Unavailable/ERR_SOURCE_UNAVAILABLE policy engine unavailable`. */
export function failureSignature(outcome: Pick<CallOutcome, "code" | "errorCode" | "message">): string {
  return `${outcome.code}/${outcome.errorCode} ${outcome.message ?? ""}`.trimEnd();
}

/**
 * The failures a fault is expected to cause (signatures as `failureSignature` writes them): every failed RPC
 * must carry `required` or one of `allowed`, and at least one must carry `required`, the fault's own error (a
 * policy engine timeout, say, where `allowed` holds the open circuit breaker those timeouts lead to).
 */
export interface ExpectedFailures {
  /** Other signatures a failure may carry. */
  readonly allowed: readonly string[];
  /** A signature at least one failure must carry. */
  readonly required: string;
}

/** How `outcomes` compare with `expected`: failures per unexpected signature, and failures with `required`. */
export function judgeFailures(outcomes: readonly CallOutcome[], expected: ExpectedFailures): { unexpected: Record<string, number>; required: number } {
  const unexpected: Record<string, number> = {};
  let required = 0;
  for (const outcome of outcomes) {
    if (outcome.rpcOk) continue;
    const signature = failureSignature(outcome);
    if (signature === expected.required) required++;
    else if (!expected.allowed.includes(signature)) unexpected[signature] = (unexpected[signature] ?? 0) + 1;
  }
  return { unexpected, required };
}
