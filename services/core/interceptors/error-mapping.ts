/**
 * Turns whatever a handler (or an inner interceptor) throws into a ConnectError with a `pecr.v1.ErrorDetail`
 * (`toConnectError`). What a client must not see stays in the log: an Internal error is logged with the
 * original error, and a PecrError's `cause` (e.g. the database error behind ERR_LEDGER_UNAVAILABLE) is logged
 * at warn. Neither is ever sent.
 */
import { Code, type ConnectError, type Interceptor } from "@connectrpc/connect";
import { PecrError } from "#core/errors/pecr-error.js";
import { toConnectError } from "#core/errors/to-connect-error.js";
import type { Logger } from "pino";
import { kLogger } from "./context-values.js";
import { observeStream } from "./stream-observer.js";

function logCause(logger: Logger, original: unknown, mapped: ConnectError): void {
  if (mapped.code === Code.Internal) {
    logger.error({ err: original, code: "ERR_INTERNAL" }, "internal error");
  } else if (original instanceof PecrError && original.cause !== undefined) {
    logger.warn({ err: original.cause, code: original.code }, "request failed");
  }
}

/** Creates the error-mapping interceptor. */
export function createErrorMappingInterceptor(): Interceptor {
  return (next) => async (req) => {
    const map = (error: unknown): ConnectError => {
      const mapped = toConnectError(error);
      logCause(req.contextValues.get(kLogger), error, mapped);
      return mapped;
    };
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: observeStream(res.message, { mapError: map }) } : res;
    } catch (error) {
      throw map(error);
    }
  };
}
