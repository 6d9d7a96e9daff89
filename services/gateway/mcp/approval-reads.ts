/**
 * Reads of MCP approvals (db/migrations/0002_mcp_approvals.sql): an approval's state is derived from its rows,
 * never stored, so it can only move forward with the steps written next to their events. A decision counts only
 * when the event it names is an MCP_APPROVAL event of the chain: a row inserted on its own decides nothing (and
 * verification reports it).
 */
import { create } from "@bufbuild/protobuf";
import { type McpApproval, McpApprovalSchema, McpApprovalState } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { errors, PecrError } from "#core/errors/pecr-error.js";
import type { SqlExecutor } from "../ledger/database.js";
import { timestampFromMicros } from "../ledger/sql-time.js";

/** An approval with the tenant it belongs to. */
export interface StoredApproval {
  /** The approval as the API shows it. */
  readonly approval: McpApproval;
  /** The requesting actor's tenant. */
  readonly tenantId: string;
}

interface ApprovalRow {
  readonly approval_id: string;
  readonly actor: string;
  readonly tenant_id: string;
  readonly tool_name: string;
  readonly arguments_hash: string;
  readonly requested_us: bigint;
  readonly approved: boolean | null;
  readonly decided_by: string | null;
  readonly decided_us: bigint | null;
  readonly consumed: boolean;
}

function stateOf(row: ApprovalRow): McpApprovalState {
  if (row.consumed) return McpApprovalState.CONSUMED;
  if (row.approved === null) return McpApprovalState.PENDING;
  return row.approved ? McpApprovalState.APPROVED : McpApprovalState.REJECTED;
}

function toStored(row: ApprovalRow): StoredApproval {
  return {
    tenantId: row.tenant_id,
    approval: create(McpApprovalSchema, {
      approvalId: row.approval_id,
      state: stateOf(row),
      actor: row.actor,
      toolName: row.tool_name,
      argumentsHash: row.arguments_hash,
      requestedAt: timestampFromMicros(row.requested_us),
      decidedBy: row.decided_by ?? "",
      ...(row.decided_us === null ? {} : { decidedAt: timestampFromMicros(row.decided_us) }),
    }),
  };
}

/** Runs a read, turning a database failure into ERR_LEDGER_UNAVAILABLE (fail closed, no driver detail). */
async function guarded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    if (cause instanceof PecrError) throw cause;
    throw errors.ledgerUnavailable({ cause });
  }
}

/** An approval by id; undefined when unknown. */
export function loadApproval(sql: SqlExecutor, approvalId: string): Promise<StoredApproval | undefined> {
  return guarded(async () => {
    const [row] = await sql<ApprovalRow>`
      SELECT a.approval_id, a.actor, a.tenant_id, a.tool_name, a.arguments_hash,
        pecr_epoch_us(a.requested_at) AS requested_us, d.approved, d.principal_id AS decided_by,
        pecr_epoch_us(d.step_at) AS decided_us, (c.approval_id IS NOT NULL) AS consumed
      FROM pecr_mcp_approvals a
        LEFT JOIN pecr_mcp_approval_steps d ON d.approval_id = a.approval_id AND d.step = 'decided'
          AND EXISTS (SELECT 1 FROM pecr_events e WHERE e.event_id = d.event_id AND e.event_type = 'MCP_APPROVAL')
        LEFT JOIN pecr_mcp_approval_steps c ON c.approval_id = a.approval_id AND c.step = 'consumed'
      WHERE a.approval_id = ${approvalId}`;
    return row === undefined ? undefined : toStored(row);
  });
}

/**
 * The usable approval of a call (same actor, tool and arguments hash): an approved, unconsumed one first, else
 * the latest pending one; undefined when there is neither.
 */
export function findCallApproval(
  sql: SqlExecutor,
  call: { readonly actor: string; readonly toolName: string; readonly argumentsHash: string },
): Promise<StoredApproval | undefined> {
  return guarded(async () => {
    const [row] = await sql<ApprovalRow>`
      SELECT a.approval_id, a.actor, a.tenant_id, a.tool_name, a.arguments_hash,
        pecr_epoch_us(a.requested_at) AS requested_us, d.approved, d.principal_id AS decided_by,
        pecr_epoch_us(d.step_at) AS decided_us, false AS consumed
      FROM pecr_mcp_approvals a
        LEFT JOIN pecr_mcp_approval_steps d ON d.approval_id = a.approval_id AND d.step = 'decided'
          AND EXISTS (SELECT 1 FROM pecr_events e WHERE e.event_id = d.event_id AND e.event_type = 'MCP_APPROVAL')
        LEFT JOIN pecr_mcp_approval_steps c ON c.approval_id = a.approval_id AND c.step = 'consumed'
      WHERE a.actor = ${call.actor} AND a.tool_name = ${call.toolName} AND a.arguments_hash = ${call.argumentsHash}
        AND c.approval_id IS NULL AND (d.approved IS NULL OR d.approved)
      ORDER BY (d.approved IS NOT NULL) DESC, a.requested_at DESC, a.approval_id DESC
      LIMIT 1`;
    return row === undefined ? undefined : toStored(row);
  });
}
