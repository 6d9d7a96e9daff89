/**
 * What a tool call returns to the MCP client. Results carry evidence ids and terminal modes, as JSON in a text
 * block and as structured content; answers (`ask`) are labelled as AI-generated, operator results as source
 * evidence. Errors are tool errors (`isError: true`) carrying PECR's error code, terminal-mode hint and, for rule
 * decisions, the rule id and reason code; never internals (a failure the gateway did not describe becomes a fixed
 * message).
 */
import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ConnectError } from "@connectrpc/connect";
import { PecrError } from "#core/errors/pecr-error.js";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { type RunResponse } from "#gen/pecr/controller/v1/controller_pb.js";
import { ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import type { McpRuleId } from "../rules/mcp-rules.js";

/** Why a tool call failed, as the client learns it. */
export interface ToolFailure {
  /** PECR's error code (`ERR_...`). */
  readonly code: string;
  /** A fixed message. */
  readonly message: string;
  /** The terminal mode a run stopping here ends in. */
  readonly hint: TerminalMode;
  /** Whether repeating the call later may succeed. */
  readonly retryable: boolean;
  /** The deciding rule of a rule decision. */
  readonly rule?: McpRuleId | undefined;
  /** The rule decision's reason code. */
  readonly reasonCode?: string | undefined;
  /** The approval an escalated call waits for. */
  readonly approvalId?: string | undefined;
}

const modeName = (mode: TerminalMode) => `TERMINAL_MODE_${TerminalMode[mode] ?? "UNSPECIFIED"}`;

/** The failure of a thrown error: a PecrError's catalogue entry, a gateway or controller error's detail, else fixed text. */
export function failureOf(error: unknown): ToolFailure {
  if (error instanceof PecrError) return { code: error.code, message: error.message, hint: error.hint, retryable: error.retryable };
  const connectError = ConnectError.from(error);
  const detail = findErrorDetail(connectError);
  if (detail !== undefined) {
    // Services answer with fixed, deterministic messages (see pecr-error.ts), so theirs are passed on.
    return { code: detail.code, message: connectError.rawMessage, hint: detail.terminalModeHint, retryable: detail.retryable };
  }
  return { code: "ERR_SOURCE_UNAVAILABLE", message: "PECR service request failed", hint: TerminalMode.SOURCE_UNAVAILABLE, retryable: true };
}

/** A tool error result. */
export function errorResult(failure: ToolFailure, traceId: string): CallToolResult {
  const rule = failure.rule === undefined ? "" : ` (${failure.rule}: ${failure.reasonCode ?? ""})`;
  const structured = {
    code: failure.code,
    message: failure.message,
    terminal_mode_hint: modeName(failure.hint),
    retryable: failure.retryable,
    ...(failure.rule === undefined ? {} : { rule: failure.rule, reason_code: failure.reasonCode }),
    ...(failure.approvalId === undefined ? {} : { approval_id: failure.approvalId }),
    trace_id: traceId,
  };
  return {
    isError: true,
    content: [{ type: "text", text: `${failure.code}: ${failure.message}${rule}` }],
    structuredContent: structured,
    _meta: { "pecr/trace_id": traceId },
  };
}

function jsonResult(structured: Record<string, unknown>, meta: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(structured, null, 2) }], structuredContent: structured, _meta: meta };
}

/** The result of an operator tool: the gateway's response as proto JSON, with its evidence ids, marked as source evidence. */
export function operatorResult<Desc extends DescMessage>(
  schema: Desc,
  response: MessageShape<Desc>,
  evidenceUnitIds: readonly string[],
  traceId: string,
): CallToolResult {
  const body = toJson(schema, response, { useProtoFieldName: true, alwaysEmitImplicit: false }) as Record<string, unknown>;
  return jsonResult(
    {
      origin: "source_evidence",
      ai_generated: false,
      evidence_unit_ids: [...evidenceUnitIds],
      ...body,
    },
    { "pecr/trace_id": traceId, "pecr/ai_generated": false },
  );
}

/** The result of `ask`: the answer labelled as AI-generated, its claims with cited evidence ids, the terminal mode. */
export function askResult(run: RunResponse, traceId: string, approvalId: string | undefined): CallToolResult {
  const generator = run.authorship?.generator ?? "";
  return jsonResult(
    {
      label: `AI-generated answer${generator === "" ? "" : ` (${generator})`}; supported claims cite PECR evidence`,
      ai_generated: true,
      origin: `TEXT_ORIGIN_${TextOrigin[run.authorship?.origin ?? TextOrigin.UNSPECIFIED] ?? "UNSPECIFIED"}`,
      generator,
      answer: run.responseText,
      terminal_mode: modeName(run.terminalMode),
      claims: (run.claimMap?.claims ?? []).map((claim) => ({
        claim_text: claim.claimText,
        status: `CLAIM_STATUS_${ClaimStatus[claim.status] ?? "UNSPECIFIED"}`,
        evidence_unit_ids: [...claim.evidenceUnitIds],
      })),
      cited_evidence: run.citedEvidence.map((ref) => ({
        evidence_unit_id: ref.evidenceUnitId,
        source_system: ref.sourceSystem,
        object_id: ref.objectId,
        version_id: ref.versionId,
      })),
      trace_id: run.traceId,
      session_id: run.sessionId,
      ...(approvalId === undefined ? {} : { approval_id: approvalId }),
    },
    { "pecr/trace_id": traceId, "pecr/ai_generated": true },
  );
}
