/**
 * One `tools/call`, end to end:
 * 1. establish the facts (tool, arguments and the resources they name, client info, trace id, and the caller's
 *    kind as the gateway authenticated it) and evaluate all six rules before anything reaches the data path;
 * 2. record the decision through the gateway (one `McpEnforcementEvent` per call) — Blocked and Escalated calls
 *    stop here; an Escalated call runs only when the gateway consumed a human's approval of this exact call;
 * 3. run the operator in the connection's gateway session, or `ask` the controller. An operator call is recorded
 *    before it runs. An answer is judged again before it is released (evidence cited, AI authorship marked, cited
 *    data in scope and consent), so `ask` is recorded once, after that judgement and before release.
 * If recording fails, the call fails (fail closed). Logs name the tool, decision and hash, never the arguments.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { parseUlid } from "#core/observability/request-ids.js";
import { type DescribeCallerResponse, type RecordEnforcementResponse } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import {
  AggregateResponseSchema,
  DiffResponseSchema,
  FetchRowsResponseSchema,
  FetchSpanResponseSchema,
  ListVersionsResponseSchema,
  SearchResponseSchema,
} from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { RunRequest } from "#gen/pecr/controller/v1/controller_pb.js";
import { McpOutcome } from "#gen/pecr/v1/mcp_pb.js";
import type { OperatorParams } from "#gen/pecr/v1/operator_pb.js";
import { PrincipalKind } from "#gen/pecr/v1/policy_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { scanArguments, withoutFlagged } from "../rules/argument-scan.js";
import { humanExemptDecision } from "../rules/decide.js";
import type { CallFacts, Decision } from "../rules/enforcement-types.js";
import { evaluateAnswer } from "../rules/evaluate-answer.js";
import { evaluateCall } from "../rules/evaluate-call.js";
import { ruleInfo } from "../rules/mcp-rules.js";
import { consentFor, evidenceResource, insideAny } from "../rules/scope-match.js";
import { argumentsHash, argumentsHashOfMalformed } from "../tools/arguments-hash.js";
import { findTool, type ParsedCall } from "../tools/tool-catalogue.js";
import { askResult, errorResult, failureOf, operatorResult, type ToolFailure } from "../tools/tool-results.js";
import type { GatewaySessionHolder } from "../gateway/gateway-session.js";
import { withSessionToken } from "../gateway/gateway-session.js";
import { callOptions } from "../gateway/pecr-clients.js";
import type { McpDeps } from "./mcp-deps.js";

/** The `_meta` key a client may put its trace id (a ULID) under. */
export const TRACE_ID_META_KEY = "pecr/trace_id";

/** What a call needs from its MCP connection. */
export interface ConnectionContext {
  /** The client's `initialize` clientInfo. */
  client(): { readonly name: string; readonly version: string } | undefined;
  /** The server's principal as the gateway authenticates it (asked once per connection). */
  caller(): Promise<DescribeCallerResponse>;
  /** The connection's gateway session. */
  readonly session: GatewaySessionHolder;
}

/** A tool call as received. */
export interface ToolCallRequest {
  /** The tool named. */
  readonly name: string;
  /** Its arguments, if any. */
  readonly arguments: Record<string, unknown> | undefined;
  /** The request's `_meta`, if any. */
  readonly meta: Record<string, unknown> | undefined;
  /** Aborted when the client cancels. */
  readonly signal: AbortSignal;
}

const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;

function blocked(decision: Decision): ToolFailure {
  return {
    code: "ERR_MCP_RULE_BLOCKED",
    message: "tool call blocked by an MCP rule",
    hint: TerminalMode.INSUFFICIENT_PERMISSION,
    retryable: false,
    rule: ruleInfo(decision.rule).id,
    reasonCode: decision.reasonCode,
  };
}

function escalated(decision: Decision, approvalId: string): ToolFailure {
  return {
    code: "ERR_MCP_ESCALATED",
    message: "tool call needs a human's approval: run `pecr mcp approve <approval_id>` as a human, then repeat the same call",
    hint: TerminalMode.INSUFFICIENT_PERMISSION,
    retryable: true,
    rule: ruleInfo(decision.rule).id,
    reasonCode: decision.reasonCode,
    approvalId,
  };
}

/** Handles one tool call; never throws (every failure is a tool error). */
export async function handleToolCall(deps: McpDeps, connection: ConnectionContext, call: ToolCallRequest): Promise<CallToolResult> {
  const { config, clients, logger } = deps;
  const rawTrace = call.meta?.[TRACE_ID_META_KEY];
  const clientTrace = typeof rawTrace === "string" ? parseUlid(rawTrace) : undefined;
  const traceId = clientTrace ?? deps.newTraceId();
  const args = call.arguments as JsonObject | undefined;
  const tool = findTool(call.name);
  const isAsk = call.name === "ask";

  // Fields other rules own (identity, privileges, budget) are left out when judging the arguments' shape, so a
  // forged principal is reported by mcp-004 rather than as a malformed call.
  let parsed: ParsedCall | undefined;
  let argumentsProblem: string | undefined;
  if (tool !== undefined) {
    try {
      parsed = tool.parse(withoutFlagged(args, scanArguments(args, isAsk)));
    } catch (error) {
      argumentsProblem = error instanceof Error ? error.name : "invalid";
    }
  }
  let hash: string;
  try {
    hash = argumentsHash(call.name, args);
  } catch {
    hash = argumentsHashOfMalformed(call.name, args);
    argumentsProblem ??= "not_canonical";
  }
  const recordedTool = TOOL_NAME.test(call.name) ? call.name : "invalid_tool_name";
  const log = logger.child({ trace_id: traceId, tool: recordedTool, arguments_hash: hash });

  let caller: DescribeCallerResponse;
  try {
    caller = await connection.caller();
  } catch (error) {
    // The gateway does not accept the server's own credentials: nothing can be recorded (or run).
    log.warn({ err: error }, "mcp.caller_unavailable");
    return errorResult(failureOf(error), traceId);
  }

  const facts: CallFacts = {
    toolName: call.name,
    toolKnown: tool !== undefined,
    arguments: args,
    argumentsProblem,
    resources: parsed === undefined ? [] : parsed.resources,
    requestedBudget: parsed?.request.kind === "ask" ? parsed.request.request.budget : undefined,
    client: connection.client(),
    traceIdMalformed: rawTrace !== undefined && clientTrace === undefined,
  };
  // An authenticated human is exempt from the rules, but a call that names no tool or does not fit its tool is
  // judged like any other (mcp-001), so whatever runs is always a well-formed call.
  const human = caller.kind === PrincipalKind.HUMAN;
  const decision = human && parsed !== undefined && argumentsProblem === undefined ? humanExemptDecision() : evaluateCall(facts, config.grant);

  const record = async (decided: Decision): Promise<RecordEnforcementResponse> => {
    const outcome = decided.outcome === "allowed" ? McpOutcome.ALLOWED : decided.outcome === "blocked" ? McpOutcome.BLOCKED : McpOutcome.ESCALATED;
    const recorded = await clients.audit.recordEnforcement(
      { rule: decided.rule, outcome, toolName: recordedTool, argumentsHash: hash, reasonCode: decided.reasonCode },
      callOptions(traceId, config.callTimeoutMs),
    );
    log.info(
      {
        outcome: McpOutcome[recorded.outcome],
        rule: ruleInfo(decided.rule).id,
        reason_code: decided.reasonCode,
        approval_id: recorded.approvalId || undefined,
        audit_seq: recorded.seq.toString(),
      },
      "mcp.tool_call_decided",
    );
    return recorded;
  };

  try {
    // Blocked and escalated calls are decided here; an escalation runs only on a consumed approval.
    let approvalId: string | undefined;
    if (decision.outcome !== "allowed") {
      const recorded = await record(decision);
      if (decision.outcome === "blocked") return errorResult(blocked(decision), traceId);
      if (recorded.outcome !== McpOutcome.ALLOWED) return errorResult(escalated(decision, recorded.approvalId), traceId);
      approvalId = recorded.approvalId;
    }
    const request = (parsed as ParsedCall).request;
    if (request.kind === "operator") {
      if (approvalId === undefined) await record(decision);
      return await runOperator(deps, connection, request.params, traceId, human, call.signal);
    }
    return await runAsk(deps, request.request, traceId, decision, human, approvalId, record, call.signal);
  } catch (error) {
    log.warn({ err: error }, "mcp.tool_call_failed");
    return errorResult(failureOf(error), traceId);
  }
}

/** Calls the operator in the connection's session and shapes its result. */
async function runOperator(
  deps: McpDeps,
  connection: ConnectionContext,
  params: OperatorParams,
  traceId: string,
  human: boolean,
  signal: AbortSignal,
): Promise<CallToolResult> {
  const { gateway } = deps.clients;
  const grant = deps.config.grant;
  return connection.session.use(traceId, async (session) => {
    const call = withSessionToken(callOptions(traceId, deps.config.callTimeoutMs, signal), session.token);
    const sessionId = session.sessionId;
    const selected = params.params;
    switch (selected.case) {
      case "search": {
        const response = await gateway.search({ sessionId, params: selected.value }, call);
        // Refs outside the server's scope or the principal's consent are not shown: not even their names.
        const refs = human
          ? response.refs
          : response.refs.filter((ref) => {
              const resource = evidenceResource(ref.sourceSystem, ref.objectId);
              return resource !== undefined && insideAny(resource, grant.scopePrefixes) && consentFor(resource, grant.consent) !== "denied";
            });
        const shown = { ...response, refs };
        return operatorResult(SearchResponseSchema, shown, refs.map((ref) => ref.evidenceUnitId), traceId);
      }
      case "fetchSpan": {
        const response = await gateway.fetchSpan({ sessionId, params: selected.value }, call);
        return operatorResult(FetchSpanResponseSchema, response, response.evidenceUnit ? [response.evidenceUnit.evidenceUnitId] : [], traceId);
      }
      case "fetchRows": {
        const response = await gateway.fetchRows({ sessionId, params: selected.value }, call);
        return operatorResult(FetchRowsResponseSchema, response, response.evidenceUnits.map((unit) => unit.evidenceUnitId), traceId);
      }
      case "aggregate": {
        const response = await gateway.aggregate({ sessionId, params: selected.value }, call);
        return operatorResult(AggregateResponseSchema, response, response.evidenceUnit ? [response.evidenceUnit.evidenceUnitId] : [], traceId);
      }
      case "listVersions": {
        const response = await gateway.listVersions({ sessionId, params: selected.value }, call);
        return operatorResult(ListVersionsResponseSchema, response, [], traceId);
      }
      case "diff": {
        const response = await gateway.diff({ sessionId, params: selected.value }, call);
        return operatorResult(DiffResponseSchema, response, response.evidenceUnit ? [response.evidenceUnit.evidenceUnitId] : [], traceId);
      }
      default:
        // The catalogue offers no other operator.
        throw new RangeError(`no tool for operator ${String(selected.case)}`);
    }
  });
}

/** Runs the controller, judges the answer, records the decision, and releases the answer only if allowed. */
async function runAsk(
  deps: McpDeps,
  request: RunRequest,
  traceId: string,
  callDecision: Decision,
  human: boolean,
  approvalId: string | undefined,
  record: (decision: Decision) => Promise<RecordEnforcementResponse>,
  signal: AbortSignal,
): Promise<CallToolResult> {
  const controller = deps.clients.controller;
  if (controller === undefined) throw new RangeError("ask is not configured");
  const grant = deps.config.grant;
  // The run gets the requested budget when it is within the grant (mcp-002 checked that), else the grant itself.
  const run = await controller.run({ ...request, budget: request.budget ?? grant.maxBudget }, callOptions(traceId, deps.config.callTimeoutMs, signal));
  const marks = (authorship: typeof run.authorship) =>
    authorship === undefined ? undefined : { origin: authorship.origin, aiGenerated: authorship.aiGenerated };
  const answerDecision = human
    ? humanExemptDecision()
    : evaluateAnswer(
        {
          claims: (run.claimMap?.claims ?? []).map((claim) => ({ status: claim.status, evidenceUnitIds: claim.evidenceUnitIds })),
          authorship: marks(run.authorship),
          claimMapAuthorship: marks(run.claimMap?.authorship),
          citedResources: run.citedEvidence.map((ref) => evidenceResource(ref.sourceSystem, ref.objectId) ?? `unknown:${ref.sourceSystem}`),
        },
        grant,
        callDecision,
      );
  const recorded = await record(answerDecision);
  if (answerDecision.outcome === "blocked") return errorResult(blocked(answerDecision), traceId);
  if (recorded.outcome !== McpOutcome.ALLOWED) return errorResult(escalated(answerDecision, recorded.approvalId), traceId);
  return askResult(run, traceId, recorded.approvalId || approvalId);
}
