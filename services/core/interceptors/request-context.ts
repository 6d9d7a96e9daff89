/**
 * Outermost interceptor: gives every RPC its request id and trace id (from the caller's headers when valid,
 * else new ULIDs), a child logger carrying both, and echoes the ids in the response headers — on errors too,
 * so a client can quote them when reporting a failure.
 */
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { toConnectError } from "#core/errors/to-connect-error.js";
import {
  REQUEST_ID_HEADER,
  TRACE_ID_HEADER,
  resolveRequestId,
  resolveTraceId,
} from "#core/observability/request-ids.js";
import { kLogger, kRequestId, kTraceId } from "./context-values.js";

/** Options of `createRequestContextInterceptor`. */
export interface RequestContextOptions {
  /** Parent of every request logger (typically the service's `rpc` logger). */
  readonly logger: Logger;
}

/** Creates the request-context interceptor. */
export function createRequestContextInterceptor(options: RequestContextOptions): Interceptor {
  return (next) => async (req) => {
    const requestId = resolveRequestId(req.header.get(REQUEST_ID_HEADER));
    const traceId = resolveTraceId(req.header.get(TRACE_ID_HEADER));
    req.contextValues
      .set(kRequestId, requestId)
      .set(kTraceId, traceId)
      .set(kLogger, options.logger.child({ trace_id: traceId, request_id: requestId }));
    try {
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, requestId);
      res.header.set(TRACE_ID_HEADER, traceId);
      return res;
    } catch (error) {
      // Inner interceptors have already mapped the error; toConnectError keeps it as is and, should anything
      // unmapped slip through, still never exposes its message.
      const mapped = toConnectError(error);
      mapped.metadata.set(REQUEST_ID_HEADER, requestId);
      mapped.metadata.set(TRACE_ID_HEADER, traceId);
      throw mapped;
    }
  };
}
