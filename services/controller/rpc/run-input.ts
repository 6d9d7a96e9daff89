/**
 * Turns a Run/RunStream request and its handler context into a run's input: the trimmed question, the budget
 * (the request's, else the configured default), the caller's credentials to forward, and the correlation ids.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { errors } from "#core/errors/pecr-error.js";
import { kLogger, kPrincipal, kRequestId, kTraceId } from "#core/interceptors/context-values.js";
import { REQUEST_ID_HEADER, TRACE_ID_HEADER } from "#core/observability/request-ids.js";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import type { RunInput } from "../run/run-question.js";

/** Longest question accepted, in characters after trimming (the proto's rule). */
export const MAX_QUERY_LENGTH = 4096;

/** What the handlers need besides the run's dependencies. */
export interface RunInputContext {
  /** Budget of requests that carry none. */
  readonly budgetDefaults: Budget;
  /** The caller's credential headers to send to the gateway (`Authenticator.forwardHeaders`). */
  readonly forwardHeaders: (headers: Headers) => Record<string, string>;
}

/** Builds the run input; throws ERR_INVALID_PARAMS for an empty question. */
export function runInputOf(
  request: { readonly query: string; readonly budget?: Budget | undefined; readonly asOfTime?: Timestamp | undefined },
  handler: HandlerContext,
  context: RunInputContext,
): RunInput {
  const query = request.query.trim();
  if (query === "") throw errors.invalidParams("query must not be empty");
  if (query.length > MAX_QUERY_LENGTH) throw errors.invalidParams("query must be at most 4096 characters");
  const headers: Record<string, string> = { ...context.forwardHeaders(handler.requestHeader) };
  const requestId = handler.values.get(kRequestId);
  const traceId = handler.values.get(kTraceId);
  if (requestId !== "") headers[REQUEST_ID_HEADER] = requestId;
  if (traceId !== "") headers[TRACE_ID_HEADER] = traceId;
  return {
    query,
    budget: request.budget ?? context.budgetDefaults,
    asOfTime: request.asOfTime,
    headers,
    signal: handler.signal,
    logger: handler.values.get(kLogger),
    principalId: handler.values.get(kPrincipal)?.principalId,
  };
}
