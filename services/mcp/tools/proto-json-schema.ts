/**
 * JSON Schema (draft 2020-12 subset, as MCP tool input schemas use it) of a protobuf message, derived generically
 * from its protobuf-es descriptor: the proto3 JSON mapping with proto field names as properties, enums as their
 * value names, 64-bit integers as integers, well-known types as their JSON forms, and the field rules of
 * `buf.validate` the contracts declare (lengths, bounds, item counts, required). Written here because no library
 * maps protobuf-es v2 descriptors to JSON Schema; the mapping is small and fixed by the proto3 JSON spec.
 */
import {
  type DescEnum,
  type DescField,
  type DescMessage,
  getOption,
  hasOption,
  isFieldSet,
  type MessageShape,
  ScalarType,
} from "@bufbuild/protobuf";
import {
  field as fieldRulesExtension,
  FieldRulesSchema,
  MapRulesSchema,
  RepeatedRulesSchema,
  StringRulesSchema,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** A JSON Schema object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** JSON forms of the well-known types (proto3 JSON mapping). */
const WELL_KNOWN: Readonly<Record<string, JsonSchema>> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$" },
  "google.protobuf.Struct": { type: "object" },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array" },
  "google.protobuf.Empty": { type: "object", additionalProperties: false },
  "google.protobuf.StringValue": { type: "string" },
  "google.protobuf.BoolValue": { type: "boolean" },
  "google.protobuf.BytesValue": { type: "string", contentEncoding: "base64" },
  "google.protobuf.Int32Value": { type: "integer" },
  "google.protobuf.UInt32Value": { type: "integer", minimum: 0 },
  "google.protobuf.Int64Value": { type: "integer" },
  "google.protobuf.UInt64Value": { type: "integer", minimum: 0 },
  "google.protobuf.FloatValue": { type: "number" },
  "google.protobuf.DoubleValue": { type: "number" },
};

function scalarSchema(scalar: ScalarType): JsonSchema {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: "number" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "integer", minimum: 0 };
    default:
      return { type: "integer" };
  }
}

function enumSchema(desc: DescEnum): JsonSchema {
  // The zero value means "not set" in every PECR enum; it stays accepted (proto3 JSON) but is listed last.
  const names = desc.values.map((value) => value.name);
  return { type: "string", enum: [...names.slice(1), ...names.slice(0, 1)] };
}

/** Keywords from a field's `buf.validate` rules (the subset PECR's contracts use); unset rules add nothing. */
function ruleKeywords(field: DescField): { readonly keywords: JsonSchema; readonly required: boolean } {
  if (!hasOption(field, fieldRulesExtension)) return { keywords: {}, required: false };
  const rules = getOption(field, fieldRulesExtension);
  const keywords: Record<string, unknown> = {};
  // The rule messages are proto2: a rule applies only when its field is set (a zero value can be a real bound).
  const put = <Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, name: string, keyword: string) => {
    const ruleField = schema.fields.find((candidate) => candidate.localName === name);
    if (ruleField === undefined || !isFieldSet(message, ruleField)) return;
    const value = (message as unknown as Record<string, unknown>)[name];
    keywords[keyword] = typeof value === "bigint" ? Number(value) : value;
  };
  const type = rules.type;
  switch (type.case) {
    case "string":
      put(StringRulesSchema, type.value, "minLen", "minLength");
      put(StringRulesSchema, type.value, "maxLen", "maxLength");
      put(StringRulesSchema, type.value, "pattern", "pattern");
      break;
    case "uint32":
    case "uint64":
      if (type.value.lessThan.case === "lte") keywords.maximum = Number(type.value.lessThan.value);
      if (type.value.greaterThan.case === "gte") keywords.minimum = Number(type.value.greaterThan.value);
      break;
    case "repeated":
      put(RepeatedRulesSchema, type.value, "minItems", "minItems");
      put(RepeatedRulesSchema, type.value, "maxItems", "maxItems");
      break;
    case "map":
      put(MapRulesSchema, type.value, "maxPairs", "maxProperties");
      break;
    default:
      break;
  }
  return { keywords, required: isFieldSet(rules, FieldRulesSchema.field.required) && rules.required };
}

function messageRef(desc: DescMessage, depth: number): JsonSchema {
  return WELL_KNOWN[desc.typeName] ?? messageJsonSchema(desc, depth + 1);
}

function fieldSchema(field: DescField, depth: number): JsonSchema {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSchema(field.scalar);
    case "enum":
      return enumSchema(field.enum);
    case "message":
      return messageRef(field.message, depth);
    case "list": {
      const items =
        field.listKind === "scalar" ? scalarSchema(field.scalar) : field.listKind === "enum" ? enumSchema(field.enum) : messageRef(field.message, depth);
      return { type: "array", items };
    }
    case "map": {
      const values =
        field.mapKind === "scalar" ? scalarSchema(field.scalar) : field.mapKind === "enum" ? enumSchema(field.enum) : messageRef(field.message, depth);
      return { type: "object", additionalProperties: values };
    }
  }
}

/** Every pair of `names` (the combinations a oneof forbids). */
function pairs(names: readonly string[]): string[][] {
  return names.flatMap((first, index) => names.slice(index + 1).map((second) => [first, second]));
}

/** Deepest nesting of messages mapped (the contracts nest a few levels; a recursive type stops here). */
const MAX_DEPTH = 8;

/**
 * The JSON Schema of messages of `desc`: an object whose properties are the message's fields by proto name, no
 * other properties. Members of a oneof are listed as properties; at most one of them may be set.
 */
export function messageJsonSchema(desc: DescMessage, depth = 0): JsonSchema {
  if (depth > MAX_DEPTH) return { type: "object" };
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const field of desc.fields) {
    const rules = ruleKeywords(field);
    properties[field.name] = { ...fieldSchema(field, depth), ...rules.keywords };
    if (rules.required) required.push(field.name);
  }
  const oneofs = desc.oneofs.filter((oneof) => oneof.fields.length > 1);
  return {
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(oneofs.length > 0
      ? { not: { anyOf: oneofs.flatMap((oneof) => pairs(oneof.fields.map((field) => field.name)).map((pair) => ({ required: pair }))) } }
      : {}),
    additionalProperties: false,
  };
}
