/**
 * Reads the per-call facts every gateway handler needs from the Connect handler context: the authenticated
 * principal, request and trace ids (set by the request-context interceptor), the session token header, and the
 * abort signal.
 */
import type { HandlerContext } from "@connectrpc/connect";
import { kRequestId, kTraceId } from "#core/interceptors/context-values.js";
import { requirePrincipal } from "#core/interceptors/authentication.js";
import type { CallIdentity } from "../operators/call-context.js";

/** The request header carrying the session capability token. */
export const SESSION_TOKEN_HEADER = "x-pecr-session-token";

/** The call identity of a handler invocation. */
export function callIdentity(context: HandlerContext): CallIdentity {
  return {
    principal: requirePrincipal(context.values),
    requestId: context.values.get(kRequestId),
    traceId: context.values.get(kTraceId),
    sessionToken: context.requestHeader.get(SESSION_TOKEN_HEADER) ?? undefined,
    signal: context.signal,
  };
}
