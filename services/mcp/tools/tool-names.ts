/**
 * The names of the MCP server's tools: the six gateway operators it exposes (not `redact`: it takes evidence
 * units back from the client) and `ask`, which runs the controller.
 */

/** The operator tools, in listing order. */
export const OPERATOR_TOOL_NAMES = ["search", "fetch_span", "fetch_rows", "aggregate", "list_versions", "diff"] as const;

/** A tool's name. */
export type ToolName = (typeof OPERATOR_TOOL_NAMES)[number] | "ask";
