/**
 * `arguments_hash` of a tool call: the domain-separated SHA-256 of the canonical bytes of
 * `pecr.gateway.v1.McpToolCallIdentity{tool_name, arguments}` (proto/README.md), the arguments being the JSON
 * object exactly as the client sent it, carried as a Struct (keys sorted by the canonical encoding, numbers as
 * doubles). The ledger records this hash, never the arguments; an approval is bound to it.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { hashMessage } from "#core/canonical/domain-hash.js";
import { McpToolCallIdentitySchema } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";

/** The hash of a call of `toolName` with `args` (undefined: no arguments, hashed as an empty object). */
export function argumentsHash(toolName: string, args: JsonObject | undefined): string {
  return hashMessage(McpToolCallIdentitySchema, create(McpToolCallIdentitySchema, { toolName, arguments: args ?? {} }));
}

/**
 * The hash of a call whose arguments cannot be encoded canonically (strings that are not well-formed Unicode):
 * their JSON text with ill-formed code units replaced, so the call is still recorded under a stable hash.
 */
export function argumentsHashOfMalformed(toolName: string, args: unknown): string {
  const text = JSON.stringify(args ?? {}).toWellFormed();
  return argumentsHash(toolName, { malformed_arguments_json: text });
}
