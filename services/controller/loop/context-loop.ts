/**
 * The budgeted context loop (reference §5.3, with DESIGN.md's "zero means zero"). A planner drives it one plan
 * step at a time; each step is a batch of operator calls run with bounded parallelism. Before a step: the
 * recursion depth, the call budget and the wallclock are checked and every call is checked against the operator
 * allowlist and its field rules. Before each call: it must still fit the call and byte budgets (counting calls in
 * flight) and the wallclock; its deadline is what is left of the wallclock. Bytes are the gateway's own count
 * (`usage` on every response), so both sides agree. The first stop wins: a budget limit, an operator error (whose
 * terminal-mode hint the run proposes), or the end of the plan.
 */
import type { Validator } from "@bufbuild/protovalidate";
import { Code } from "@connectrpc/connect";
import { operatorParamsDigest } from "#core/canonical/identities.js";
import { StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import type { EvidenceUnitRef } from "#gen/pecr/v1/evidence_pb.js";
import { type OperatorParams, OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { refOf } from "#core/evidence/evidence-ref.js";
import type { OperatorResult } from "../gateway/gateway-client.js";
import { classifyGatewayError } from "../gateway/gateway-errors.js";
import { operatorOf } from "../planners/operators.js";

/** An operator call finished (successfully or not). */
export interface OperatorCallEvent {
  /** Event kind. */
  readonly kind: "operator_call";
  /** The plan step (1-based). */
  readonly step: number;
  /** The parameters sent. */
  readonly params: OperatorParams;
  /** SUPPORTED on success, else the error's hint. */
  readonly outcome: TerminalMode;
  /** The error code when it failed, else empty. */
  readonly errorCode: string;
  /** The result when it succeeded. */
  readonly result: OperatorResult | undefined;
  /** Milliseconds the call took. */
  readonly latencyMs: number;
}

/** A call emitted evidence units (refs only). */
export interface EvidenceEvent {
  /** Event kind. */
  readonly kind: "evidence";
  /** The plan step (1-based). */
  readonly step: number;
  /** Refs of the units emitted. */
  readonly refs: readonly EvidenceUnitRef[];
}

/** What the loop reports while it runs. */
export type LoopEvent = OperatorCallEvent | EvidenceEvent;

/** What a planner gets back from one step. */
export interface StepOutcome {
  /** One entry per call given, in that order: its result, or undefined when it failed or never started. */
  readonly results: readonly (OperatorResult | undefined)[];
  /** Whether the loop has stopped (no further step will run). */
  readonly stopped: boolean;
}

/** The loop as a planner sees it. */
export interface StepExecutor {
  /** The run's budget. */
  readonly budget: Budget;
  /** Whether the loop has stopped. */
  readonly stopped: boolean;
  /** Operator calls the budget still allows (not counting calls in flight). */
  remainingCalls(): number;
  /**
   * Runs one plan step: the given calls, at most `max_parallelism` at a time. A step with no calls still takes
   * one unit of depth (the original's `search_ref_fetch_span` with no refs did too).
   */
  step(calls: readonly OperatorParams[]): Promise<StepOutcome>;
}

/** How the loop ended. */
export interface LoopSummary {
  /** Why it stopped. */
  readonly stopReason: StopReason;
  /** Whether a budget limit stopped it. */
  readonly budgetViolation: boolean;
  /** Operator calls made (failed ones included). */
  readonly operatorCallsUsed: number;
  /** Bytes charged by the gateway (its count after the last call seen). */
  readonly bytesUsed: bigint;
  /** Plan steps taken. */
  readonly depthUsed: number;
  /** The terminal-mode hint of the operator error that stopped the loop, if one did. */
  readonly errorHint: TerminalMode | undefined;
  /** Refs of every evidence unit emitted in the run, by evidence id. */
  readonly evidence: ReadonlyMap<string, EvidenceUnitRef>;
}

/** The loop: a step executor plus its summary. */
export interface ContextLoop extends StepExecutor {
  /** Ends the loop (stop reason PLAN_COMPLETE unless it stopped earlier) and returns its summary. */
  finish(): LoopSummary;
}

/** Dependencies and settings of a loop. */
export interface ContextLoopOptions {
  /** The run's budget. */
  readonly budget: Budget;
  /** Monotonic clock in ms. */
  readonly now: () => number;
  /** When the run started, on `now`'s scale (the wallclock budget covers the whole run). */
  readonly startedAt: number;
  /** Calls one operator in the run's session with the given deadline. */
  readonly callOperator: (params: OperatorParams, timeoutMs: number) => Promise<OperatorResult>;
  /** Checks call parameters against their field rules before they are sent. */
  readonly validator: Validator;
  /** Called at each plan step started (the loop-iterations metric). */
  readonly onIteration?: () => void;
  /** Receives progress events. */
  readonly onEvent?: (event: LoopEvent) => void;
}

interface Stop {
  readonly reason: StopReason;
  readonly violation: boolean;
  readonly hint?: TerminalMode;
}

const maxBigint = (a: bigint, b: bigint) => (a > b ? a : b);

/** Creates a loop for one run. */
export function createContextLoop(options: ContextLoopOptions): ContextLoop {
  const { budget, now } = options;
  const maxCalls = budget.maxOperatorCalls;
  const maxBytes = budget.maxBytes;
  const maxDepth = budget.maxRecursionDepth;
  const parallelism = Math.max(1, budget.maxParallelism ?? 1);
  let stop: Stop | undefined;
  let callsMade = 0;
  let gatewayCalls = 0n;
  let bytesUsed = 0n;
  let depth = 0;
  const evidence = new Map<string, EvidenceUnitRef>();

  const remainingMs = () => Number(budget.maxWallclockMs) - (now() - options.startedAt);
  const callsUsed = () => Math.max(callsMade, Number(gatewayCalls));
  const halt = (next: Stop) => {
    stop ??= next;
  };

  /** Why a call may not start now, or undefined when it may. */
  const admission = (inFlight: number, inFlightBytes: bigint, paramsBytes: bigint): Stop | undefined => {
    if (callsUsed() + inFlight >= maxCalls) return { reason: StopReason.BUDGET_MAX_OPERATOR_CALLS, violation: true };
    if (bytesUsed + inFlightBytes + paramsBytes > maxBytes) return { reason: StopReason.BUDGET_MAX_BYTES, violation: true };
    if (remainingMs() <= 0) return { reason: StopReason.BUDGET_MAX_WALLCLOCK_MS, violation: true };
    return undefined;
  };

  const failure = (error: unknown): { stop: Stop; errorCode: string; hint: TerminalMode } => {
    const failed = classifyGatewayError(error);
    if (failed.errorCode === "ERR_BUDGET_EXCEEDED") {
      // The gateway refused the call for the session's budget: our counts were behind its own (a result that
      // did not fit). Calls are checked exactly here, so bytes are what ran out unless calls did.
      const reason =
        Number(gatewayCalls) >= maxCalls ? StopReason.BUDGET_MAX_OPERATOR_CALLS : StopReason.BUDGET_MAX_BYTES;
      return { stop: { reason, violation: true }, errorCode: failed.errorCode, hint: failed.hint };
    }
    if (!failed.fromGateway && failed.code === Code.DeadlineExceeded && remainingMs() <= 0) {
      // Our own deadline, set from the wallclock budget, expired: the source was too slow within the budget.
      return {
        stop: { reason: StopReason.BUDGET_MAX_WALLCLOCK_MS, violation: true, hint: TerminalMode.SOURCE_UNAVAILABLE },
        errorCode: failed.errorCode,
        hint: TerminalMode.SOURCE_UNAVAILABLE,
      };
    }
    return {
      stop: { reason: StopReason.OPERATOR_ERROR, violation: false, hint: failed.hint },
      errorCode: failed.errorCode,
      hint: failed.hint,
    };
  };

  const invoke = async (step: number, params: OperatorParams): Promise<OperatorResult | undefined> => {
    const started = now();
    const timeoutMs = Math.max(1, Math.ceil(remainingMs()));
    try {
      const result = await options.callOperator(params, timeoutMs);
      callsMade++;
      if (result.usage) {
        gatewayCalls = maxBigint(gatewayCalls, result.usage.operatorCallsUsed);
        bytesUsed = maxBigint(bytesUsed, result.usage.bytesUsed);
      }
      options.onEvent?.({
        kind: "operator_call",
        step,
        params,
        outcome: TerminalMode.SUPPORTED,
        errorCode: "",
        result,
        latencyMs: now() - started,
      });
      if (result.evidenceUnits.length > 0) {
        const refs = result.evidenceUnits.map(refOf);
        for (const ref of refs) evidence.set(ref.evidenceUnitId, ref);
        options.onEvent?.({ kind: "evidence", step, refs });
      }
      return result;
    } catch (error) {
      callsMade++;
      const failed = failure(error);
      halt(failed.stop);
      options.onEvent?.({
        kind: "operator_call",
        step,
        params,
        outcome: failed.hint,
        errorCode: failed.errorCode,
        result: undefined,
        latencyMs: now() - started,
      });
      return undefined;
    }
  };

  const paramsAllowed = (params: OperatorParams): boolean =>
    operatorOf(params) !== undefined && options.validator.validate(OperatorParamsSchema, params).kind === "valid";

  const loop: ContextLoop = {
    budget,
    get stopped() {
      return stop !== undefined;
    },
    remainingCalls: () => Math.max(0, maxCalls - callsUsed()),

    async step(calls) {
      const none = { results: calls.map(() => undefined), stopped: true };
      if (stop) return none;
      if (depth >= maxDepth) {
        halt({ reason: StopReason.BUDGET_MAX_RECURSION_DEPTH, violation: true });
        return none;
      }
      options.onIteration?.();
      if (calls.length > 0 && callsUsed() >= maxCalls) {
        halt({ reason: StopReason.BUDGET_MAX_OPERATOR_CALLS, violation: true });
        return none;
      }
      if (remainingMs() <= 0) {
        halt({ reason: StopReason.BUDGET_MAX_WALLCLOCK_MS, violation: true });
        return none;
      }
      depth++;
      const step = depth;
      if (!calls.every(paramsAllowed)) {
        // A planner bug or a bad plan: nothing of this step is sent.
        halt({ reason: StopReason.OPERATOR_ERROR, violation: false, hint: TerminalMode.INSUFFICIENT_EVIDENCE });
        return none;
      }

      // Bounded fan-out, written here rather than with a concurrency-limit package because every start must
      // first pass the budget admission with the calls currently in flight, and a refusal stops the whole loop.
      const results: (OperatorResult | undefined)[] = calls.map(() => undefined);
      const sizes = calls.map((params) => BigInt(operatorParamsDigest(params).bytes));
      let next = 0;
      let inFlight = 0;
      let inFlightBytes = 0n;
      const worker = async () => {
        while (stop === undefined && next < calls.length) {
          const index = next;
          const size = sizes[index]!;
          const refused = admission(inFlight, inFlightBytes, size);
          if (refused) {
            halt(refused);
            return;
          }
          next++;
          inFlight++;
          inFlightBytes += size;
          try {
            results[index] = await invoke(step, calls[index]!);
          } finally {
            inFlight--;
            inFlightBytes -= size;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallelism, calls.length) }, worker));
      if (bytesUsed > maxBytes) halt({ reason: StopReason.BUDGET_MAX_BYTES, violation: true });
      return { results, stopped: stop !== undefined };
    },

    finish() {
      halt({ reason: StopReason.PLAN_COMPLETE, violation: false });
      const final = stop!;
      return {
        stopReason: final.reason,
        budgetViolation: final.violation,
        operatorCallsUsed: callsMade,
        bytesUsed,
        depthUsed: depth,
        errorHint: final.hint,
        evidence,
      };
    },
  };
  return loop;
}
