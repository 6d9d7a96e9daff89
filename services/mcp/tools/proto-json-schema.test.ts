import test from "ava";
import { RunRequestSchema } from "#gen/pecr/controller/v1/controller_pb.js";
import { ClaimMapSchema } from "#gen/pecr/v1/claim_pb.js";
import { EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import { FetchRowsParamsSchema, FetchSpanParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import { messageJsonSchema } from "./proto-json-schema.js";

test("fields become properties by proto name, with the contract's set field rules and nothing else", (t) => {
  t.deepEqual(messageJsonSchema(FetchSpanParamsSchema), {
    type: "object",
    properties: {
      object_id: { type: "string", maxLength: 1024 },
      start_byte: { type: "integer", minimum: 0 },
      end_byte: { type: "integer", minimum: 0 },
    },
    additionalProperties: false,
  });
});

test("repeated fields become arrays and maps objects, with their item and pair limits", (t) => {
  const schema = messageJsonSchema(FetchRowsParamsSchema) as { properties: Record<string, unknown> };
  t.deepEqual(schema.properties.fields, { type: "array", items: { type: "string" }, maxItems: 64 });
  t.deepEqual(schema.properties.filter_spec, { type: "object", additionalProperties: { type: "string" }, maxProperties: 16 });
});

test("nested messages, enums and well-known types follow the proto3 JSON mapping", (t) => {
  const run = messageJsonSchema(RunRequestSchema) as { properties: Record<string, { properties?: Record<string, unknown> }> };
  t.deepEqual(run.properties.as_of_time, { type: "string", format: "date-time" });
  t.deepEqual(run.properties.budget?.properties?.max_operator_calls, { type: "integer", minimum: 0, maximum: 10000 });
  const claimMap = messageJsonSchema(ClaimMapSchema) as { properties: Record<string, { items?: { properties?: Record<string, unknown> } }> };
  const status = claimMap.properties.claims?.items?.properties?.status as { enum: string[] };
  t.deepEqual(status.enum, ["CLAIM_STATUS_SUPPORTED", "CLAIM_STATUS_ASSUMPTION", "CLAIM_STATUS_UNKNOWN", "CLAIM_STATUS_UNSPECIFIED"]);
});

test("members of a real oneof may not be set together", (t) => {
  const schema = messageJsonSchema(EvidenceUnitSchema) as { properties: Record<string, unknown>; not?: unknown };
  t.deepEqual(schema.properties.json, { type: "object" });
  t.deepEqual(schema.not, { anyOf: [{ required: ["text", "json"] }] });
});
