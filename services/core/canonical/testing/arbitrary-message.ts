/**
 * fast-check arbitraries for any protobuf-es message type, driven by its descriptor. Used by property tests of
 * the canonical encoding (and by the bad-input suites): every field kind, oneofs, explicit presence, maps with
 * every key type, and the well-known types PECR uses (Struct, Value, Timestamp).
 */
import { create, fromJson, type DescField, type DescMessage, type JsonValue, type MessageShape, ScalarType } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence, ValueSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";

/** Options of generated messages. */
export interface ArbitraryMessageOptions {
  /** Nesting depth of sub-messages (default 3). */
  readonly maxDepth?: number;
  /** Maximum entries of lists and maps (default 4). */
  readonly maxItems?: number;
}

/** A finite JSON value without -0 (whose canonical form is 0) and with short keys. */
export function arbitraryJson(maxDepth = 2): fc.Arbitrary<JsonValue> {
  const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (value === 0 ? 0 : value)),
    fc.string({ unit: "binary", maxLength: 8 }),
  );
  if (maxDepth <= 0) return leaf;
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(arbitraryJson(maxDepth - 1), { maxLength: 3 }) },
    { weight: 1, arbitrary: arbitraryJsonObject(maxDepth - 1) },
  );
}

/** A JSON object (the TS form of google.protobuf.Struct). */
export function arbitraryJsonObject(maxDepth = 2): fc.Arbitrary<{ [key: string]: JsonValue }> {
  return fc.dictionary(objectKey(fc.string({ unit: "binary", maxLength: 6 })), arbitraryJson(maxDepth), { maxKeys: 4 });
}

/**
 * Keys of generated maps and JSON objects, without `__proto__`: protobuf-es decodes map entries by assignment, so
 * such a key never survives a decode (it is not a key PECR can receive), and a round-trip property would fail on
 * the decoder, not the encoding.
 */
function objectKey(key: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return key.filter((value) => value !== "__proto__");
}

/** Arbitrary value of a singular scalar. */
export function arbitraryScalar(scalar: ScalarType): fc.Arbitrary<unknown> {
  switch (scalar) {
    case ScalarType.STRING:
      return fc.string({ unit: "binary", maxLength: 12 });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 12 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
      return fc.double({ noNaN: true }).map((value) => (value === 0 ? 0 : value));
    case ScalarType.FLOAT:
      return fc.float({ noNaN: true }).map((value) => (value === 0 ? 0 : value));
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.integer();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.nat({ max: 0xffffffff });
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
  }
}

/** Arbitrary message of type `schema`. */
export function arbitraryMessage<Desc extends DescMessage>(
  schema: Desc,
  options: ArbitraryMessageOptions = {},
): fc.Arbitrary<MessageShape<Desc>> {
  return arbitraryInit(schema, options.maxDepth ?? 3, options.maxItems ?? 4).map(
    (init) => create(schema, init as never) as MessageShape<Desc>,
  );
}

/** Arbitrary init object (plain values) for `schema`, as `create(schema, init)` accepts. */
export function arbitraryInit(schema: DescMessage, depth: number, maxItems: number): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of schema.members) {
    if (member.kind === "oneof") {
      const cases = member.fields.map((field) =>
        fieldValue(field, depth, maxItems).map((value) => ({ case: field.localName, value })),
      );
      parts[member.localName] = fc.option(fc.oneof(...cases), { nil: undefined });
    } else if (member.fieldKind === "message" && depth <= 0) {
      continue;
    } else if (member.fieldKind === "list" && member.listKind === "message" && depth <= 0) {
      continue;
    } else if (member.fieldKind === "map" && member.mapKind === "message" && depth <= 0) {
      continue;
    } else {
      const explicitPresence =
        member.fieldKind === "message" || member.presence !== FeatureSet_FieldPresence.IMPLICIT;
      const value = fieldValue(member, depth, maxItems);
      parts[member.localName] = explicitPresence ? fc.option(value, { nil: undefined }) : value;
    }
  }
  return fc.record(parts, { requiredKeys: [] }).map((record) => {
    // Drop undefined members: create() treats an explicit undefined like an absent key, but keeping the object
    // minimal makes counterexamples easier to read.
    return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
  });
}

function fieldValue(field: DescField, depth: number, maxItems: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return arbitraryScalar(field.scalar);
    case "enum":
      return fc.constantFrom(...field.enum.values.map((value) => value.number));
    case "message":
      return messageValue(field.message, depth, maxItems);
    case "list":
      switch (field.listKind) {
        case "scalar":
          return fc.array(arbitraryScalar(field.scalar), { maxLength: maxItems });
        case "enum":
          return fc.array(fc.constantFrom(...field.enum.values.map((value) => value.number)), { maxLength: maxItems });
        case "message":
          return fc.array(messageValue(field.message, depth, maxItems), { maxLength: maxItems });
      }
      break;
    case "map": {
      const key = objectKey(arbitraryScalar(field.mapKey).map((value) => String(value)));
      const value =
        field.mapKind === "scalar"
          ? arbitraryScalar(field.scalar)
          : field.mapKind === "enum"
            ? fc.constantFrom(...field.enum.values.map((entry) => entry.number))
            : messageValue(field.message, depth, maxItems);
      return fc.dictionary(key, value, { maxKeys: maxItems });
    }
  }
}

function messageValue(message: DescMessage, depth: number, maxItems: number): fc.Arbitrary<unknown> {
  switch (message.typeName) {
    case "google.protobuf.Struct":
      return arbitraryJsonObject(Math.max(0, depth - 1));
    case "google.protobuf.Value":
      return arbitraryJson(Math.max(0, depth - 1)).map((json) => fromJson(ValueSchema, json));
    case "google.protobuf.Timestamp":
      return fc.record({
        seconds: fc.bigInt({ min: -62135596800n, max: 253402300799n }),
        nanos: fc.integer({ min: 0, max: 999_999_999 }),
      });
    default:
      return arbitraryInit(message, depth - 1, maxItems);
  }
}
