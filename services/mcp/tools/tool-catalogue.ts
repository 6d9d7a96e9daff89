/**
 * The MCP tools: for each, its name, description and input schema (derived from the proto message its
 * arguments are, see proto-json-schema.ts), and how its arguments become a typed gateway or controller request
 * plus the data resources the call touches (what scope and consent rules judge).
 */
import { create, type DescMessage, fromJson, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { type RunRequest, RunRequestSchema } from "#gen/pecr/controller/v1/controller_pb.js";
import { DiffParamsSchema } from "#gen/pecr/v1/evidence_pb.js";
import {
  AggregateParamsSchema,
  FetchRowsParamsSchema,
  FetchSpanParamsSchema,
  ListVersionsParamsSchema,
  type OperatorParams,
  OperatorParamsSchema,
  SearchParamsSchema,
} from "#gen/pecr/v1/operator_pb.js";
import type { Resource } from "../rules/enforcement-types.js";
import { documentResource, viewResource } from "../rules/scope-match.js";
import { type JsonSchema, messageJsonSchema } from "./proto-json-schema.js";
import type { ToolName } from "./tool-names.js";

/** A call's typed request. */
export type ToolRequest =
  | { readonly kind: "operator"; readonly params: OperatorParams }
  | { readonly kind: "ask"; readonly request: RunRequest };

/** Arguments turned into a request, with the resources the call touches (undefined: an unclean object id). */
export interface ParsedCall {
  /** The request. */
  readonly request: ToolRequest;
  /** The resources known before the call. */
  readonly resources: readonly Resource[] | undefined;
}

/** One tool. */
export interface ToolDefinition {
  /** The tool's name. */
  readonly name: ToolName;
  /** Short human title. */
  readonly title: string;
  /** What it does, for the model. */
  readonly description: string;
  /** The proto message its arguments are. */
  readonly argumentsMessage: DescMessage;
  /** JSON Schema of the arguments. */
  readonly inputSchema: JsonSchema;
  /** Turns the arguments into a request; throws when they do not fit the message. */
  parse(args: JsonValue | undefined): ParsedCall;
}

const AUDITED = "Every call is checked against PECR's MCP rules and recorded in its audit ledger.";

function operatorTool<Desc extends DescMessage>(
  name: ToolName,
  title: string,
  description: string,
  schema: Desc,
  toParams: (message: MessageShape<Desc>) => OperatorParams["params"],
  resources: (message: MessageShape<Desc>) => readonly (Resource | undefined)[],
): ToolDefinition {
  return {
    name,
    title,
    description: `${description} ${AUDITED}`,
    argumentsMessage: schema,
    inputSchema: messageJsonSchema(schema),
    parse(args) {
      const message = fromJson(schema, args ?? {}, { ignoreUnknownFields: false });
      const found = resources(message);
      return {
        request: { kind: "operator", params: create(OperatorParamsSchema, { params: toParams(message) }) },
        resources: found.some((resource) => resource === undefined) ? undefined : (found as Resource[]),
      };
    },
  };
}

/** Every tool, in listing order. */
export const TOOL_CATALOGUE: readonly ToolDefinition[] = [
  operatorTool(
    "search",
    "Search documents",
    "Find documents you may read whose text contains `query` (case-sensitive substring). Returns evidence refs " +
      "(evidence_unit_id, object_id, version_id), no content; fetch a ref's object with fetch_span.",
    SearchParamsSchema,
    (value) => ({ case: "search", value }),
    () => [],
  ),
  operatorTool(
    "fetch_span",
    "Fetch a document span",
    "Read a document (or the byte range start_byte..end_byte of it) as of the session's point in time. Returns one " +
      "evidence unit: the text, its content hash and its evidence_unit_id, which answers should cite.",
    FetchSpanParamsSchema,
    (value) => ({ case: "fetchSpan", value }),
    (params) => [documentResource(params.objectId)],
  ),
  operatorTool(
    "fetch_rows",
    "Fetch safe-view rows",
    "Read rows of an allowlisted safe view: the listed fields, with equality filters. Returns one evidence unit per row.",
    FetchRowsParamsSchema,
    (value) => ({ case: "fetchRows", value }),
    (params) => [viewResource(params.viewId)],
  ),
  operatorTool(
    "aggregate",
    "Aggregate a safe view",
    "Compute allowlisted metrics (such as count of a field) over a safe view, optionally grouped and filtered. " +
      "Returns one evidence unit.",
    AggregateParamsSchema,
    (value) => ({ case: "aggregate", value }),
    (params) => [viewResource(params.viewId)],
  ),
  operatorTool(
    "list_versions",
    "List document versions",
    "List the stored versions of a document (version ids and when each was first observed).",
    ListVersionsParamsSchema,
    (value) => ({ case: "listVersions", value }),
    (params) => [documentResource(params.objectId)],
  ),
  operatorTool(
    "diff",
    "Diff two versions",
    "Unified diff between two versions (v1 older, v2 newer) of a document. Returns one evidence unit.",
    DiffParamsSchema,
    (value) => ({ case: "diff", value }),
    (params) => [documentResource(params.objectId)],
  ),
  {
    name: "ask",
    title: "Ask PECR",
    description:
      "Ask a question. PECR's controller gathers evidence you may read and answers; the answer is AI-produced " +
      "(marked as such), and every supported claim cites the evidence_unit_ids it rests on. " +
      AUDITED,
    argumentsMessage: RunRequestSchema,
    inputSchema: messageJsonSchema(RunRequestSchema),
    parse(args) {
      return { request: { kind: "ask", request: fromJson(RunRequestSchema, args ?? {}, { ignoreUnknownFields: false }) }, resources: [] };
    },
  },
];

/** The tool named `name`, if any. */
export function findTool(name: string): ToolDefinition | undefined {
  return TOOL_CATALOGUE.find((tool) => tool.name === name);
}
