/**
 * The read-only audit RPCs: GetEvidence, ListEvents, VerifyLedger.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetEvidenceRequest,
  type GetEvidenceResponse,
  GetEvidenceResponseSchema,
  type ListEventsRequest,
  type ListEventsResponse,
  ListEventsResponseSchema,
  type VerifyLedgerResponse,
  VerifyLedgerResponseSchema,
} from "#gen/pecr/gateway/v1/gateway_pb.js";
import { getEvidence, listEvents, verifyLedger } from "../audit/audit-reads.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { callIdentity } from "./call-identity.js";

/** Audit RPC implementations. */
export function createAuditHandlers(deps: GatewayDeps) {
  return {
    async getEvidence(request: GetEvidenceRequest, context: HandlerContext): Promise<GetEvidenceResponse> {
      const { units, sessionIds } = await getEvidence(deps, callIdentity(context), request.evidenceUnitIds);
      return create(GetEvidenceResponseSchema, { evidenceUnits: units, sessionIds });
    },
    async listEvents(request: ListEventsRequest, context: HandlerContext): Promise<ListEventsResponse> {
      const { records, nextAfterSeq } = await listEvents(deps, callIdentity(context), {
        afterSeq: request.afterSeq,
        pageSize: request.pageSize,
        sessionId: request.sessionId,
        traceId: request.traceId,
      });
      return create(ListEventsResponseSchema, { events: records, nextAfterSeq });
    },
    async verifyLedger(_request: unknown, context: HandlerContext): Promise<VerifyLedgerResponse> {
      return create(VerifyLedgerResponseSchema, { verification: await verifyLedger(deps, callIdentity(context)) });
    },
  };
}
