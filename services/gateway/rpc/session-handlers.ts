/**
 * CreateSession and Finalize RPCs.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type CreateSessionRequest,
  type CreateSessionResponse,
  CreateSessionResponseSchema,
  type FinalizeRequest,
  type FinalizeResponse,
  FinalizeResponseSchema,
} from "#gen/pecr/gateway/v1/gateway_pb.js";
import { finalizeSession } from "../finalize/finalize-session.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { createSession } from "../sessions/create-session.js";
import { callIdentity, SESSION_TOKEN_HEADER } from "./call-identity.js";

/** Session RPC implementations. */
export function createSessionHandlers(deps: GatewayDeps) {
  return {
    async createSession(request: CreateSessionRequest, context: HandlerContext): Promise<CreateSessionResponse> {
      const created = await createSession(deps, callIdentity(context), request.budget, request.asOfTime);
      context.responseHeader.set(SESSION_TOKEN_HEADER, created.token);
      return create(CreateSessionResponseSchema, {
        sessionId: created.sessionId,
        traceId: created.traceId,
        policySnapshotId: created.snapshot.policySnapshotId,
        budget: created.budget,
        policySnapshotHash: created.snapshot.policySnapshotHash,
        asOfTime: created.snapshot.asOfTime,
        tokenExpiresAt: created.tokenExpiresAt,
      });
    },
    async finalize(request: FinalizeRequest, context: HandlerContext): Promise<FinalizeResponse> {
      const outcome = await finalizeSession(deps, callIdentity(context), request.sessionId, request.responseText, request.claimMap);
      return create(FinalizeResponseSchema, outcome);
    },
  };
}
