import test from "ava";
import { create } from "@bufbuild/protobuf";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { domainHash } from "#core/canonical/domain-hash.js";
import { McpToolCallIdentitySchema } from "#gen/pecr/gateway/v1/mcp_audit_pb.js";
import { argumentsHash, argumentsHashOfMalformed } from "./arguments-hash.js";

test("the hash is the domain-separated SHA-256 of McpToolCallIdentity's canonical bytes", (t) => {
  const args = { object_id: "public/a.txt", start_byte: 3 };
  const bytes = canonicalBytes(McpToolCallIdentitySchema, create(McpToolCallIdentitySchema, { toolName: "fetch_span", arguments: args }));
  t.is(argumentsHash("fetch_span", args), domainHash("pecr.gateway.v1.McpToolCallIdentity", bytes));
});

test("golden vector: the hash of a fixed call does not change", (t) => {
  t.is(argumentsHash("fetch_span", { object_id: "public/support_policy.txt" }), GOLDEN);
});

test("key order does not matter; the tool, values and absence of arguments do", (t) => {
  const base = argumentsHash("fetch_rows", { view_id: "v", fields: ["a", "b"] });
  t.is(argumentsHash("fetch_rows", { fields: ["a", "b"], view_id: "v" }), base);
  t.not(argumentsHash("aggregate", { view_id: "v", fields: ["a", "b"] }), base);
  t.not(argumentsHash("fetch_rows", { view_id: "v", fields: ["b", "a"] }), base);
  t.is(argumentsHash("search", undefined), argumentsHash("search", {}));
});

test("arguments that cannot be encoded canonically still get a stable hash", (t) => {
  const bad = { query: "\ud800" };
  t.throws(() => argumentsHash("search", bad));
  t.is(argumentsHashOfMalformed("search", bad), argumentsHashOfMalformed("search", { query: "\ud800" }));
  t.regex(argumentsHashOfMalformed("search", bad), /^[0-9a-f]{64}$/);
});

const GOLDEN = "783d6f36d30f241872a35d3f30c2caa51d8f5abb2586d6690a4313ab281d1821";
