/**
 * The interceptor chain every PECR service runs, outermost first (HOUSE_STYLE "Request flow"):
 * requestContext → accessLog → metrics → errorMapping → authentication → (service extras) → validation.
 * Error mapping sits inside the log and the metrics so both see the code the client gets, and outside
 * authentication and validation so their refusals carry an ErrorDetail too. Service extras (rate limits, the
 * terminal-mode metric) run right after authentication, as reference §11.1 orders the checks: a caller over its
 * rate limit is refused before its request is looked at, and a refused request still counts as an attempt.
 */
import type { Interceptor } from "@connectrpc/connect";
import type { Validator } from "@bufbuild/protovalidate";
import { createValidateInterceptor } from "@connectrpc/validate";
import type { Logger } from "pino";
import type { AppMetrics } from "#core/observability/metrics.js";
import { createAccessLogInterceptor } from "./access-log.js";
import { type Authenticate, createAuthenticationInterceptor } from "./authentication.js";
import { createErrorMappingInterceptor } from "./error-mapping.js";
import { createRequestContextInterceptor } from "./request-context.js";
import { createRpcMetricsInterceptor } from "./rpc-metrics.js";

/** Options of `createInterceptorChain`. */
export interface InterceptorChainOptions {
  /** Parent of the per-request loggers. */
  readonly logger: Logger;
  /** Where RPC metrics are recorded. */
  readonly metrics: AppMetrics;
  /** Authenticator; without one, RPCs run unauthenticated (no principal). */
  readonly authenticate?: Authenticate;
  /** RPCs that skip authentication, by service name or `/service/Method`. */
  readonly publicProcedures?: readonly string[];
  /** protovalidate validator; default `createValidator()`. */
  readonly validator?: Validator;
  /** Service-specific interceptors, run after authentication and before validation, e.g. rate limiting. */
  readonly inner?: readonly Interceptor[];
}

/** Builds the chain in the order the router applies it (first element outermost). */
export function createInterceptorChain(options: InterceptorChainOptions): Interceptor[] {
  return [
    createRequestContextInterceptor({ logger: options.logger }),
    createAccessLogInterceptor(),
    createRpcMetricsInterceptor(options.metrics),
    createErrorMappingInterceptor(),
    ...(options.authenticate
      ? [
          createAuthenticationInterceptor({
            authenticate: options.authenticate,
            publicProcedures: options.publicProcedures ?? [],
          }),
        ]
      : []),
    ...(options.inner ?? []),
    createValidateInterceptor(options.validator ? { validator: options.validator } : {}),
  ];
}
