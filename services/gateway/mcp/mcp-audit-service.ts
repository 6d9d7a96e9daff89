/**
 * The McpAuditService implementation: the RPC layer over record-enforcement.ts and decide-approval.ts. Every
 * RPC acts as the authenticated caller; request fields never name the actor.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  DecideApprovalResponseSchema,
  DescribeCallerResponseSchema,
  GetApprovalResponseSchema,
  McpAuditService,
} from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { callIdentity } from "../rpc/call-identity.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { decideApproval, getApproval } from "./decide-approval.js";
import type { McpAuditOptions } from "./mcp-audit-options.js";
import { recordEnforcement } from "./record-enforcement.js";

/** Creates the service implementation. */
export function createMcpAuditService(deps: GatewayDeps, options: McpAuditOptions): ServiceImpl<typeof McpAuditService> {
  return {
    recordEnforcement: (request, context: HandlerContext) => recordEnforcement(deps, options, callIdentity(context), request),
    async decideApproval(request, context) {
      const approval = await decideApproval(deps, callIdentity(context), request.approvalId, request.approved);
      return create(DecideApprovalResponseSchema, { approval });
    },
    async getApproval(request, context) {
      return create(GetApprovalResponseSchema, { approval: await getApproval(deps, callIdentity(context), request.approvalId) });
    },
    async describeCaller(_request, context) {
      const { principal } = callIdentity(context);
      return create(DescribeCallerResponseSchema, { principalId: principal.principalId, tenantId: principal.tenantId, kind: principal.kind });
    },
  };
}
