/**
 * The statements of an MCP approval step (`UnitOfWork.mcpApproval`), run by the unit writer inside the batch
 * transaction, after the chain head is locked and before the unit's events are appended. Each step is one INSERT
 * into an append-only table (db/migrations/0002_mcp_approvals.sql). A step that is not possible in the approval's
 * current state inserts nothing, and the statement then fails server-side (`pecr_mcp_approval_check`, SQLSTATE
 * PM001), which fails the unit (and only that unit: the group-commit writer retries a failed batch unit by unit).
 * So an approval is decided once, consumed once and only by the call it was given for, atomically with the event
 * recording it, whether or not the batch's statements wait for one another's results.
 */
import type { SqlExecutor } from "./database.js";
import type { McpApprovalWrite } from "./ledger-types.js";
import { timestampText } from "./sql-time.js";

/** SQLSTATE of a refused approval step. */
export const MCP_APPROVAL_CONFLICT_SQLSTATE = "PM001";

/** Whether `error`, or an error in its cause chain, is a refused approval step. */
export function isMcpApprovalConflict(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if ((current as { code?: unknown }).code === MCP_APPROVAL_CONFLICT_SQLSTATE) return true;
  }
  return false;
}

/** Writes one approval step; the statement fails with SQLSTATE PM001 when the step is not possible. */
export async function writeMcpApproval(tx: SqlExecutor, write: McpApprovalWrite): Promise<void> {
  const at = timestampText(write.at);
  switch (write.kind) {
    case "request":
      await tx`INSERT INTO pecr_mcp_approvals (approval_id, actor, tenant_id, tool_name, arguments_hash,
          requested_event_id, requested_at)
        VALUES (${write.approvalId}, ${write.actor}, ${write.tenantId}, ${write.toolName}, ${write.argumentsHash},
          ${write.eventId}, ${at}::text::timestamptz)`;
      return;
    case "decide":
      // Only a requested, undecided approval can be decided; the step's primary key makes it once only.
      await tx`WITH step AS (
          INSERT INTO pecr_mcp_approval_steps (approval_id, step, approved, principal_id, event_id, step_at)
          SELECT a.approval_id, 'decided', ${write.approved}, ${write.approver}, ${write.eventId}, ${at}::text::timestamptz
          FROM pecr_mcp_approvals a WHERE a.approval_id = ${write.approvalId}
          ON CONFLICT (approval_id, step) DO NOTHING
          RETURNING 1)
        SELECT pecr_mcp_approval_check((SELECT count(*) FROM step) = 1, 'unknown or already decided')`;
      return;
    case "consume":
      // Only an approved approval of exactly this call (actor, tool, arguments hash) can be consumed, once.
      await tx`WITH step AS (
          INSERT INTO pecr_mcp_approval_steps (approval_id, step, approved, principal_id, event_id, step_at)
          SELECT a.approval_id, 'consumed', NULL, ${write.actor}, ${write.eventId}, ${at}::text::timestamptz
          FROM pecr_mcp_approvals a
          JOIN pecr_mcp_approval_steps d ON d.approval_id = a.approval_id AND d.step = 'decided' AND d.approved
          -- The decision must be a human's MCP_APPROVAL event in the chain, not a row inserted on its own.
          JOIN pecr_events e ON e.event_id = d.event_id AND e.event_type = 'MCP_APPROVAL'
          WHERE a.approval_id = ${write.approvalId} AND a.actor = ${write.actor} AND a.tool_name = ${write.toolName}
            AND a.arguments_hash = ${write.argumentsHash}
          ON CONFLICT (approval_id, step) DO NOTHING
          RETURNING 1)
        SELECT pecr_mcp_approval_check((SELECT count(*) FROM step) = 1, 'not approved for this call or already consumed')`;
      return;
  }
}
