/**
 * Counts every RPC and times it until its last response message, labelled by service, method and final code.
 */
import type { Code, Interceptor, StreamResponse, UnaryResponse } from "@connectrpc/connect";
import type { AppMetrics } from "#core/observability/metrics.js";
import { codeName, codeOfError, codeOfStreamOutcome } from "./rpc-outcome.js";
import { type StreamOutcome, observeStream } from "./stream-observer.js";

/** Creates the RPC metrics interceptor recording into `metrics`. */
export function createRpcMetricsInterceptor(metrics: AppMetrics): Interceptor {
  return (next) => async (req) => {
    const stopTimer = metrics.rpcHandlingSeconds.startTimer();
    const record = (code: Code | undefined) => {
      const labels = { service: req.service.typeName, method: req.method.name, code: codeName(code) };
      metrics.rpcHandled.inc(labels);
      stopTimer(labels);
    };
    let res: UnaryResponse | StreamResponse;
    try {
      res = await next(req);
    } catch (error) {
      record(codeOfError(error));
      throw error;
    }
    if (!res.stream) {
      record(undefined);
      return res;
    }
    const onEnd = (outcome: StreamOutcome) => record(codeOfStreamOutcome(outcome));
    return { ...res, message: observeStream(res.message, { onEnd }) };
  };
}
