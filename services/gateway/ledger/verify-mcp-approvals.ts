/**
 * Verification of the MCP approval tables against the chain, in both directions:
 * - every approval row and step row names an event (by id) that exists and says the same thing: an ESCALATED
 *   enforcement for a request, an `McpApprovalEvent` with the same decision for a decision, an ALLOWED
 *   enforcement of the same call for a use. A row written behind the chain's back (say, an "approved" step
 *   inserted directly to let a call run) has no such event and is a break;
 * - every MCP event that changed an approval has its row: a human's decision, an approval consumed by a run, a
 *   request. A deleted step row (which would let an approval be used twice) is a break.
 * The events' own hashes and links are verified by the chain scan; here they are only decoded.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { type LedgerBreak, LedgerEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { McpOutcome } from "#gen/pecr/v1/mcp_pb.js";
import type { SqlExecutor } from "./database.js";
import { ledgerBreak } from "./verify-events.js";

/** The approvals table. */
export const MCP_APPROVALS_TABLE = "pecr_mcp_approvals";
/** The approval steps table. */
export const MCP_APPROVAL_STEPS_TABLE = "pecr_mcp_approval_steps";

/** An approval row or step row joined with its approval and the event it names. */
interface ApprovalRow {
  readonly approval_id: string;
  /** `requested` for the approvals row itself, else the step. */
  readonly step: string;
  readonly approved: boolean | null;
  readonly principal_id: string;
  readonly event_id: string;
  readonly actor: string;
  readonly tool_name: string;
  readonly arguments_hash: string;
  /** The named event's seq and bytes; null when it does not exist. */
  readonly seq: bigint | null;
  readonly canonical_bytes: Uint8Array | null;
}

/** Checks one row against its event; undefined when they agree. */
function checkRow(row: ApprovalRow): LedgerBreak | undefined {
  const table = row.step === "requested" ? MCP_APPROVALS_TABLE : MCP_APPROVAL_STEPS_TABLE;
  const column = row.step === "requested" ? "requested_event_id" : "event_id";
  if (row.seq === null || row.canonical_bytes === null) return ledgerBreak(0n, table, column, row.event_id, "missing");
  const payload = fromBinary(LedgerEventSchema, row.canonical_bytes).payload;
  const mismatch = (field: string, expected: string, actual: string) =>
    ledgerBreak(row.seq as bigint, table, field, expected, actual);
  if (row.step === "decided") {
    if (payload.case !== "mcpApproval") return mismatch("event_id", "MCP_APPROVAL", payload.case ?? "");
    const event = payload.value;
    if (event.approvalId !== row.approval_id) return mismatch("approval_id", event.approvalId, row.approval_id);
    if (event.approved !== row.approved) return mismatch("approved", String(event.approved), String(row.approved));
    if (event.approverPrincipalId !== row.principal_id) return mismatch("principal_id", event.approverPrincipalId, row.principal_id);
    if (event.toolName !== row.tool_name) return mismatch("tool_name", event.toolName, row.tool_name);
    if (event.argumentsHash !== row.arguments_hash) return mismatch("arguments_hash", event.argumentsHash, row.arguments_hash);
    return undefined;
  }
  if (payload.case !== "mcpEnforcement") return mismatch(column, "MCP_ENFORCEMENT", payload.case ?? "");
  const event = payload.value;
  const outcome = row.step === "requested" ? McpOutcome.ESCALATED : McpOutcome.ALLOWED;
  if (event.outcome !== outcome) return mismatch("outcome", McpOutcome[outcome], McpOutcome[event.outcome] ?? String(event.outcome));
  if (event.approvalId !== row.approval_id) return mismatch("approval_id", event.approvalId, row.approval_id);
  if (event.actor !== row.actor) return mismatch("actor", event.actor, row.actor);
  if (event.actor !== row.principal_id) return mismatch("principal_id", event.actor, row.principal_id);
  if (event.toolName !== row.tool_name) return mismatch("tool_name", event.toolName, row.tool_name);
  if (event.argumentsHash !== row.arguments_hash) return mismatch("arguments_hash", event.argumentsHash, row.arguments_hash);
  return undefined;
}

/** An MCP event as scanned for the reverse direction. */
interface McpEventRow {
  readonly seq: bigint;
  readonly event_id: string;
  readonly canonical_bytes: Uint8Array;
}

/** The row an MCP event implies, if any. */
type ImpliedRow = { readonly table: string; readonly approvalId: string; readonly step: string; readonly eventId: string };

function impliedRow(row: McpEventRow): ImpliedRow | undefined {
  const payload = fromBinary(LedgerEventSchema, row.canonical_bytes).payload;
  if (payload.case === "mcpApproval") {
    return { table: MCP_APPROVAL_STEPS_TABLE, approvalId: payload.value.approvalId, step: "decided", eventId: row.event_id };
  }
  if (payload.case !== "mcpEnforcement" || payload.value.approvalId === "") return undefined;
  if (payload.value.outcome === McpOutcome.ALLOWED) {
    return { table: MCP_APPROVAL_STEPS_TABLE, approvalId: payload.value.approvalId, step: "consumed", eventId: row.event_id };
  }
  // An ESCALATED event either created its approval or referred to a pending one: the approval must exist.
  return { table: MCP_APPROVALS_TABLE, approvalId: payload.value.approvalId, step: "requested", eventId: "" };
}

/**
 * Checks the approval tables against the chain of `chainId`; returns the first break found, or undefined. Breaks
 * of rows whose event is missing report seq 0.
 */
export async function verifyMcpApprovals(sql: SqlExecutor, chainId: string, pageSize: number): Promise<LedgerBreak | undefined> {
  for (let after = ["", ""]; ; ) {
    const rows = await sql<ApprovalRow>`
      SELECT * FROM (
        SELECT a.approval_id, 'requested' AS step, NULL::boolean AS approved, a.actor AS principal_id,
          a.requested_event_id AS event_id, a.actor, a.tool_name, a.arguments_hash, e.seq, e.canonical_bytes
        FROM pecr_mcp_approvals a LEFT JOIN pecr_events e ON e.event_id = a.requested_event_id AND e.chain_id = ${chainId}
        UNION ALL
        SELECT s.approval_id, s.step, s.approved, s.principal_id, s.event_id, a.actor, a.tool_name, a.arguments_hash,
          e.seq, e.canonical_bytes
        FROM pecr_mcp_approval_steps s JOIN pecr_mcp_approvals a ON a.approval_id = s.approval_id
          LEFT JOIN pecr_events e ON e.event_id = s.event_id AND e.chain_id = ${chainId}
      ) r
      WHERE (r.approval_id, r.step) > (${after[0] ?? ""}, ${after[1] ?? ""})
      ORDER BY r.approval_id, r.step LIMIT ${pageSize}`;
    for (const row of rows) {
      const found = checkRow(row);
      if (found !== undefined) return found;
    }
    const tail = rows[rows.length - 1];
    if (tail === undefined || rows.length < pageSize) break;
    after = [tail.approval_id, tail.step];
  }
  for (let after = 0n; ; ) {
    const rows = await sql<McpEventRow>`
      SELECT seq, event_id, canonical_bytes FROM pecr_events
      WHERE chain_id = ${chainId} AND event_type IN ('MCP_ENFORCEMENT', 'MCP_APPROVAL') AND seq > ${after}
      ORDER BY seq LIMIT ${pageSize}`;
    const implied = rows.map((row) => ({ seq: row.seq, row: impliedRow(row) }));
    const wanted = implied.flatMap((entry) => (entry.row === undefined ? [] : [entry.row]));
    if (wanted.length > 0) {
      const found = new Set(
        (
          await sql<{ approval_id: string; step: string; event_id: string }>`
            SELECT approval_id, 'requested' AS step, '' AS event_id FROM pecr_mcp_approvals
            WHERE approval_id = ANY(${wanted.map((w) => w.approvalId)}::text[])
            UNION ALL
            SELECT approval_id, step, event_id FROM pecr_mcp_approval_steps
            WHERE approval_id = ANY(${wanted.map((w) => w.approvalId)}::text[])`
        ).map((row) => JSON.stringify([row.approval_id, row.step, row.event_id])),
      );
      for (const { seq, row } of implied) {
        if (row !== undefined && !found.has(JSON.stringify([row.approvalId, row.step, row.eventId]))) {
          return ledgerBreak(seq, row.table, row.step === "requested" ? "approval_id" : "event_id", row.approvalId, "missing");
        }
      }
    }
    const tail = rows[rows.length - 1];
    if (tail === undefined || rows.length < pageSize) break;
    after = tail.seq;
  }
  return undefined;
}
