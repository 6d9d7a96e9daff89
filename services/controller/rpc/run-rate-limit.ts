/**
 * Per-principal rate limit of runs (reference §5.2 step 2): key `run:<principal>`, checked after authentication
 * (it runs as an inner interceptor), refused with ResourceExhausted ERR_RATE_LIMITED.
 */
import type { Interceptor } from "@connectrpc/connect";
import { errors } from "#core/errors/pecr-error.js";
import { kPrincipal } from "#core/interceptors/context-values.js";
import type { RateLimiter } from "#core/rate-limit/sliding-window-limiter.js";
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";

/** Creates the interceptor; only ControllerService RPCs are counted. */
export function createRunRateLimitInterceptor(limiter: RateLimiter): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === ControllerService.typeName) {
      const principalId = req.contextValues.get(kPrincipal)?.principalId ?? "";
      if (!limiter.tryAcquire(`run:${principalId}`)) throw errors.rateLimited("rate limit exceeded for run requests");
    }
    return next(req);
  };
}
