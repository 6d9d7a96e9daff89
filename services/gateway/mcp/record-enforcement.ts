/**
 * RecordEnforcement: appends the MCP server's decision on one tool call to the ledger as an
 * `McpEnforcementEvent`, with the authenticated caller as actor. An ESCALATED decision is resolved against the
 * call's approvals first: an approved one is consumed (the event records ALLOWED, reason `approval_consumed`,
 * and the call may run once), a pending one is referred to, otherwise a new pending approval is created with
 * the event. Approval steps are written in the same unit of work as their event, so they commit or fail together;
 * a failed write fails the RPC, and the MCP server then does not run the call (fail closed).
 */
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { McpEnforcementEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { McpOutcome, McpRule } from "#gen/pecr/v1/mcp_pb.js";
import {
  McpApprovalState,
  type RecordEnforcementRequest,
  type RecordEnforcementResponse,
  RecordEnforcementResponseSchema,
} from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import type { McpApprovalWrite } from "../ledger/ledger-types.js";
import { isMcpApprovalConflict } from "../ledger/mcp-approval-writes.js";
import { type CallIdentity, createEventStamper } from "../operators/call-context.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { findCallApproval } from "./approval-reads.js";
import { mcpAuditErrors } from "./mcp-audit-errors.js";
import type { McpAuditOptions } from "./mcp-audit-options.js";

/** Reason code of an escalated call that ran on a human's approval. */
export const APPROVAL_CONSUMED = "approval_consumed";

/** What one call of `append` records. */
interface Recorded {
  readonly outcome: McpOutcome;
  readonly approvalId: string;
  readonly rule: McpRule;
  readonly reasonCode: string;
  /** The approval step written with the event, given the event's id and time. */
  readonly approval?: (eventId: string, at: Timestamp) => McpApprovalWrite;
}

/** Records one decision; returns what was recorded. */
export async function recordEnforcement(
  deps: GatewayDeps,
  options: McpAuditOptions,
  call: CallIdentity,
  request: RecordEnforcementRequest,
): Promise<RecordEnforcementResponse> {
  if (request.outcome === McpOutcome.ALLOWED && request.rule !== McpRule.CONSENT_BOUNDARIES) throw mcpAuditErrors.allowedRule();
  const actor = call.principal.principalId;
  const callKey = { actor, toolName: request.toolName, argumentsHash: request.argumentsHash };
  const stamper = createEventStamper(deps, call, { traceId: call.traceId, sessionId: "", policySnapshotId: "" });

  const append = async (recorded: Recorded): Promise<RecordEnforcementResponse> => {
    const event = stamper.event({
      case: "mcpEnforcement",
      value: create(McpEnforcementEventSchema, {
        rule: recorded.rule,
        outcome: recorded.outcome,
        actor,
        ...(options.dataResidencyRegion === undefined ? {} : { dataResidencyRegion: options.dataResidencyRegion }),
        toolName: request.toolName,
        argumentsHash: request.argumentsHash,
        approvalId: recorded.approvalId,
        reasonCode: recorded.reasonCode,
      }),
    });
    const approval = recorded.approval?.(event.eventId, event.eventTime);
    const { events } = await deps.ledger.commit({ events: [event], ...(approval === undefined ? {} : { mcpApproval: approval }) });
    const sealed = events[0];
    return create(RecordEnforcementResponseSchema, {
      outcome: recorded.outcome,
      approvalId: recorded.approvalId,
      seq: sealed?.seq ?? 0n,
      eventHash: sealed?.eventHash ?? "",
    });
  };

  if (request.outcome !== McpOutcome.ESCALATED) {
    return append({ outcome: request.outcome, rule: request.rule, reasonCode: request.reasonCode, approvalId: "" });
  }

  // A concurrent run of the same call may consume the approval first; the loser looks again (and then finds a
  // pending approval or none), so an approval never lets a call run twice.
  for (let attempt = 0; ; attempt++) {
    const existing = await findCallApproval(deps.ledger.db.sql, callKey);
    if (existing?.approval.state === McpApprovalState.APPROVED && existing.approval.approvalId !== "") {
      const approvalId = existing.approval.approvalId;
      try {
        return await append({
          outcome: McpOutcome.ALLOWED,
          rule: McpRule.CONSENT_BOUNDARIES,
          reasonCode: APPROVAL_CONSUMED,
          approvalId,
          approval: (eventId, at) => ({ kind: "consume", approvalId, ...callKey, eventId, at }),
        });
      } catch (error) {
        if (attempt < 2 && isMcpApprovalConflict(error)) continue;
        throw error;
      }
    }
    if (existing !== undefined) {
      return append({ outcome: McpOutcome.ESCALATED, rule: request.rule, reasonCode: request.reasonCode, approvalId: existing.approval.approvalId });
    }
    const approvalId = deps.ids.ulid();
    return append({
      outcome: McpOutcome.ESCALATED,
      rule: request.rule,
      reasonCode: request.reasonCode,
      approvalId,
      approval: (eventId, at) => ({ kind: "request", approvalId, tenantId: call.principal.tenantId, ...callKey, eventId, at }),
    });
  }
}
