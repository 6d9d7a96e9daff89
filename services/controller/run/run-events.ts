/**
 * The progress events of a run as `RunStreamResponse` messages (refs and counters only, never evidence content).
 */
import { create } from "@bufbuild/protobuf";
import {
  type RunResponse,
  type RunStreamResponse,
  RunStreamResponseSchema,
} from "#gen/pecr/controller/v1/controller_pb.js";
import type { CreateSessionResponse, FinalizeResponse } from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import type { LoopEvent } from "../loop/context-loop.js";

/** Receives a run's events in order; the last one is the result. */
export type RunEventSink = (event: RunStreamResponse) => void;

/** The session was opened. */
export function sessionStartedEvent(session: CreateSessionResponse, budget: Budget): RunStreamResponse {
  return create(RunStreamResponseSchema, {
    event: {
      case: "sessionStarted",
      value: { sessionId: session.sessionId, traceId: session.traceId, budget: session.budget ?? budget },
    },
  });
}

/** An operator call finished, or evidence was emitted. */
export function loopEvent(event: LoopEvent): RunStreamResponse {
  if (event.kind === "evidence") {
    return create(RunStreamResponseSchema, {
      event: { case: "evidence", value: { step: event.step, refs: [...event.refs] } },
    });
  }
  return create(RunStreamResponseSchema, {
    event: {
      case: "operatorCall",
      value: {
        step: event.step,
        params: event.params,
        outcome: event.outcome,
        errorCode: event.errorCode,
        bytes: BigInt(event.result?.responseBytes() ?? 0),
        latencyMs: BigInt(Math.max(0, Math.round(event.latencyMs))),
      },
    },
  });
}

/** Finalize returned. */
export function finalizeEvent(response: FinalizeResponse): RunStreamResponse {
  return create(RunStreamResponseSchema, {
    event: {
      case: "finalize",
      value: { terminalMode: response.terminalMode, coverageObserved: response.claimMap?.coverageObserved ?? 0 },
    },
  });
}

/** The final response (always the last event). */
export function resultEvent(response: RunResponse): RunStreamResponse {
  return create(RunStreamResponseSchema, { event: { case: "result", value: response } });
}
