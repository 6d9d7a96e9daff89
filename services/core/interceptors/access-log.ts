/**
 * One log line per RPC when it ends (for streams: when the last message is sent), with its procedure,
 * protocol, final code and duration. The line goes through the request's logger, so it carries trace_id and
 * request_id, and principal_id once authentication has run.
 */
import type { Code, Interceptor, StreamResponse, UnaryResponse } from "@connectrpc/connect";
import { codeName, codeOfError, codeOfStreamOutcome } from "./rpc-outcome.js";
import { kLogger, kPrincipal } from "./context-values.js";
import { type StreamOutcome, observeStream } from "./stream-observer.js";

/** The RPC protocol a request uses, from its content type. */
export function protocolOf(contentType: string | null): "grpc" | "grpc-web" | "connect" {
  if (contentType?.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType?.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** Creates the access-log interceptor. */
export function createAccessLogInterceptor(): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const log = (code: Code | undefined) => {
      const principal = req.contextValues.get(kPrincipal);
      req.contextValues.get(kLogger).info(
        {
          procedure: `/${req.service.typeName}/${req.method.name}`,
          protocol: protocolOf(req.header.get("content-type")),
          code: codeName(code),
          duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
          ...(principal ? { principal_id: principal.principalId } : {}),
        },
        "rpc",
      );
    };
    let res: UnaryResponse | StreamResponse;
    try {
      res = await next(req);
    } catch (error) {
      log(codeOfError(error));
      throw error;
    }
    if (!res.stream) {
      log(undefined);
      return res;
    }
    const onEnd = (outcome: StreamOutcome) => log(codeOfStreamOutcome(outcome));
    return { ...res, message: observeStream(res.message, { onEnd }) };
  };
}
