/**
 * What the rules are evaluated over: facts the MCP server establishes itself (never booleans a caller sends), the
 * grant from the server's configuration, and the result of an evaluation.
 */
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import type { ClaimStatus, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import type { McpRule } from "#gen/pecr/v1/mcp_pb.js";
import type { JsonValue } from "@bufbuild/protobuf";

/**
 * A data resource a call touches: `fs:<object_id>` for a corpus document, `view:<view_id>` for a safe view. Scope
 * prefixes and consent scopes are prefixes of these names (`fs:public/`, `view:safe_customer_view_public`).
 */
export type Resource = string;

/** What the server's configuration grants its principal. */
export interface EnforcementGrant {
  /** Tools the server offers. */
  readonly allowedTools: ReadonlySet<string>;
  /** mcp-001: the resources a call may touch, as prefixes. */
  readonly scopePrefixes: readonly string[];
  /** mcp-002: the largest budget a call may ask for (also the budget of the server's sessions). */
  readonly maxBudget: Budget;
  /** mcp-006: the principal's consented data scopes. */
  readonly consent: ConsentScopes;
}

/** The principal's consented data scopes (prefixes of resources). */
export interface ConsentScopes {
  /** Scopes the principal consented to. */
  readonly allowed: readonly string[];
  /** Scopes that need a human's approval per call; they take precedence over `allowed`. */
  readonly approval: readonly string[];
}

/** Facts about one tool call, established by the server before anything reaches the gateway's data path. */
export interface CallFacts {
  /** The tool named by the call. */
  readonly toolName: string;
  /** Whether the server has such a tool at all. */
  readonly toolKnown: boolean;
  /** The arguments as sent (a JSON object, or undefined when the call had none). */
  readonly arguments: { readonly [key: string]: JsonValue } | undefined;
  /** Why the arguments do not fit the tool's input message, when they do not (fields other rules own excluded). */
  readonly argumentsProblem: string | undefined;
  /** Resources the call touches, from its parsed arguments; undefined when an object id is not a clean path. */
  readonly resources: readonly Resource[] | undefined;
  /** The budget the call asks for (ask only). */
  readonly requestedBudget: Budget | undefined;
  /** The MCP client's `initialize` clientInfo. */
  readonly client: { readonly name: string; readonly version: string } | undefined;
  /** Whether the call's `_meta` carried a trace id that is not a ULID (an absent one is generated instead). */
  readonly traceIdMalformed: boolean;
}

/** Facts about an answer (`ask`), established from the controller's response before it is released. */
export interface AnswerFacts {
  /** The claims: status and cited evidence ids. */
  readonly claims: readonly { readonly status: ClaimStatus; readonly evidenceUnitIds: readonly string[] }[];
  /** The answer's authorship, when present. */
  readonly authorship: { readonly origin: TextOrigin; readonly aiGenerated: boolean } | undefined;
  /** The claim map's authorship, when present. */
  readonly claimMapAuthorship: { readonly origin: TextOrigin; readonly aiGenerated: boolean } | undefined;
  /** Resources of the evidence the answer cites. */
  readonly citedResources: readonly Resource[];
}

/** How one rule judged a call. */
export type RuleVerdict = "satisfied" | "violated" | "escalated";

/** One rule's result. */
export interface RuleResult {
  /** The rule. */
  readonly rule: McpRule;
  /** Its verdict. */
  readonly verdict: RuleVerdict;
  /** Stable reason code (`satisfied` when satisfied). */
  readonly reasonCode: string;
}

/** The decision on a call: outcome, the deciding rule and reason, and every rule's result. */
export interface Decision {
  /** Allowed, Blocked or Escalated. */
  readonly outcome: "allowed" | "blocked" | "escalated";
  /** The deciding rule (mcp-006 for allowed, by the contract's convention). */
  readonly rule: McpRule;
  /** Stable reason code. */
  readonly reasonCode: string;
  /** All six results, in rule order (empty for an exempt human). */
  readonly results: readonly RuleResult[];
}
