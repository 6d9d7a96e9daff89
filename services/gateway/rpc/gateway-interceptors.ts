/**
 * Gateway-specific interceptors, run inside the shared chain (after authentication, before validation):
 * per-principal rate limits by RPC family (reference §2.3: checked right after authentication and before the
 * request is looked at), and the terminal-mode metric of every RPC.
 */
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorDetailSchema } from "#gen/pecr/v1/error_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { errors } from "#core/errors/pecr-error.js";
import { kPrincipal } from "#core/interceptors/context-values.js";
import { createSlidingWindowLimiter, type RateLimiter } from "#core/rate-limit/sliding-window-limiter.js";
import type { GatewayConfig } from "../config/gateway-config.js";
import type { GatewayMetrics } from "../observability/gateway-metrics.js";

/** The rate-limit family of each GatewayService and McpAuditService method (the names do not overlap). */
const FAMILY: Record<string, "sessions" | "operators" | "finalize" | "audit"> = {
  CreateSession: "sessions",
  Search: "operators",
  FetchSpan: "operators",
  FetchRows: "operators",
  Aggregate: "operators",
  ListVersions: "operators",
  Diff: "operators",
  Redact: "operators",
  Finalize: "finalize",
  GetEvidence: "audit",
  ListEvents: "audit",
  VerifyLedger: "audit",
  // McpAuditService: one RecordEnforcement per MCP tool call; approvals and lookups are rare reads or decisions.
  RecordEnforcement: "operators",
  DecideApproval: "audit",
  GetApproval: "audit",
  DescribeCaller: "audit",
};

const MESSAGES = {
  sessions: "rate limit exceeded for session creation",
  operators: "rate limit exceeded for operator calls",
  finalize: "rate limit exceeded for finalize calls",
  audit: "rate limit exceeded for audit calls",
} as const;

/** Per-principal rate limiting of gateway RPCs. */
export function createRateLimitInterceptor(config: GatewayConfig): Interceptor {
  const windowMs = config.rateLimitWindowSecs * 1000;
  const limiters: Record<keyof typeof MESSAGES, RateLimiter> = {
    sessions: createSlidingWindowLimiter({ limit: config.rateLimitSessionsPerWindow, windowMs }),
    operators: createSlidingWindowLimiter({ limit: config.rateLimitOperatorsPerWindow, windowMs }),
    finalize: createSlidingWindowLimiter({ limit: config.rateLimitFinalizePerWindow, windowMs }),
    audit: createSlidingWindowLimiter({ limit: config.rateLimitAuditPerWindow, windowMs }),
  };
  return (next) => async (request) => {
    const family = FAMILY[request.method.name];
    const principal = request.contextValues.get(kPrincipal);
    if (family !== undefined && principal !== undefined && !limiters[family].tryAcquire(principal.principalId)) {
      throw errors.rateLimited(MESSAGES[family]);
    }
    return next(request);
  };
}

/** Counts each RPC's terminal mode: the response's, or the error's hint. */
export function createTerminalModeInterceptor(metrics: GatewayMetrics): Interceptor {
  return (next) => async (request) => {
    try {
      const response = await next(request);
      const message = response.stream ? undefined : (response.message as { terminalMode?: unknown });
      const mode = typeof message?.terminalMode === "number" ? (message.terminalMode as TerminalMode) : TerminalMode.SUPPORTED;
      metrics.terminalMode(request.method.name, mode);
      return response;
    } catch (error) {
      const detail = ConnectError.from(error).findDetails(ErrorDetailSchema)[0];
      const hint = (error as { hint?: TerminalMode }).hint ?? detail?.terminalModeHint ?? TerminalMode.SOURCE_UNAVAILABLE;
      metrics.terminalMode(request.method.name, hint);
      throw error;
    }
  };
}

/** The gateway's inner interceptors, in order. */
export function createGatewayInterceptors(config: GatewayConfig, metrics: GatewayMetrics): Interceptor[] {
  return [createTerminalModeInterceptor(metrics), createRateLimitInterceptor(config)];
}
