/**
 * DecideApproval and GetApproval. Only a principal the gateway authenticated as a human (Principal.kind HUMAN)
 * may decide, and only within its tenant; the decision is an `McpApprovalEvent` in the chain, written together
 * with the approval's `decided` step, so a second decision (concurrent or later) fails as a whole.
 */
import { create } from "@bufbuild/protobuf";
import { type McpApproval, McpApprovalState } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { McpApprovalEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import { isMcpApprovalConflict } from "../ledger/mcp-approval-writes.js";
import { type CallIdentity, createEventStamper } from "../operators/call-context.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { loadApproval, type StoredApproval } from "./approval-reads.js";
import { mcpAuditErrors } from "./mcp-audit-errors.js";

/** Loads an approval the caller may see: its requesting actor, or a human of its tenant. */
async function visibleApproval(deps: GatewayDeps, call: CallIdentity, approvalId: string): Promise<StoredApproval> {
  const stored = await loadApproval(deps.ledger.db.sql, approvalId);
  const principal = call.principal;
  const visible =
    stored !== undefined &&
    stored.tenantId === principal.tenantId &&
    (stored.approval.actor === principal.principalId || principal.kind === PrincipalKind.HUMAN);
  if (!visible) throw mcpAuditErrors.unknownApproval();
  return stored;
}

/** Returns an approval to its actor or to a human of its tenant. */
export async function getApproval(deps: GatewayDeps, call: CallIdentity, approvalId: string): Promise<McpApproval> {
  return (await visibleApproval(deps, call, approvalId)).approval;
}

/** Approves or rejects a pending approval as the calling human; returns the approval after the decision. */
export async function decideApproval(deps: GatewayDeps, call: CallIdentity, approvalId: string, approved: boolean): Promise<McpApproval> {
  if (call.principal.kind !== PrincipalKind.HUMAN) throw mcpAuditErrors.approverNotHuman();
  const { approval } = await visibleApproval(deps, call, approvalId);
  if (approval.state !== McpApprovalState.PENDING) throw mcpAuditErrors.alreadyDecided();
  const stamper = createEventStamper(deps, call, { traceId: call.traceId, sessionId: "", policySnapshotId: "" });
  const event = stamper.event({
    case: "mcpApproval",
    value: create(McpApprovalEventSchema, {
      approvalId,
      approved,
      approverPrincipalId: call.principal.principalId,
      toolName: approval.toolName,
      argumentsHash: approval.argumentsHash,
    }),
  });
  try {
    await deps.ledger.commit({
      events: [event],
      mcpApproval: { kind: "decide", approvalId, approved, approver: call.principal.principalId, eventId: event.eventId, at: event.eventTime },
    });
  } catch (error) {
    if (isMcpApprovalConflict(error)) throw mcpAuditErrors.alreadyDecided();
    throw error;
  }
  return (await visibleApproval(deps, call, approvalId)).approval;
}
