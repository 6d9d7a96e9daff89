/**
 * One log line per RPC when it ends (for streams: when the last message is sent), with its procedure,
 * protocol, final code and duration, and for a failure PECR's error code and the message the client was given
 * (never more than the client saw). The line goes through the request's logger, so it carries trace_id and
 * request_id, and principal_id once authentication has run.
 */
import { type Code, ConnectError, type Interceptor, type StreamResponse, type UnaryResponse } from "@connectrpc/connect";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { codeName, codeOfError, codeOfStreamOutcome } from "./rpc-outcome.js";
import { kLogger } from "./context-values.js";
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
    const log = (code: Code | undefined, error?: unknown) => {
      // Errors are mapped by the time they reach this interceptor: a ConnectError carries what the client saw.
      const failure = error instanceof ConnectError ? error : undefined;
      const errorCode = failure === undefined ? undefined : findErrorDetail(failure)?.code;
      req.contextValues.get(kLogger).info(
        {
          procedure: `/${req.service.typeName}/${req.method.name}`,
          protocol: protocolOf(req.header.get("content-type")),
          code: codeName(code),
          duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
          ...(errorCode ? { error_code: errorCode } : {}),
          ...(failure ? { error_message: failure.rawMessage } : {}),
        },
        "rpc",
      );
    };
    let res: UnaryResponse | StreamResponse;
    try {
      res = await next(req);
    } catch (error) {
      log(codeOfError(error), error);
      throw error;
    }
    if (!res.stream) {
      log(undefined);
      return res;
    }
    const onEnd = (outcome: StreamOutcome) => log(codeOfStreamOutcome(outcome), outcome.kind === "error" ? outcome.error : undefined);
    return { ...res, message: observeStream(res.message, { onEnd }) };
  };
}
