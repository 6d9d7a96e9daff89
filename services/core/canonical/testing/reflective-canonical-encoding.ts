/**
 * The reference implementation of the canonical encoding, for tests: a direct reading of the rules of
 * `../canonical-encoding.ts` (and proto/README.md) that walks messages through protobuf-es reflection and writes
 * them with protobuf-es's own `BinaryWriter`. It is several times slower than the production encoder, which
 * `canonical-encoding.test.ts` checks against it, byte for byte, on generated messages of every contract type.
 */
import type { DescField, DescMessage, MessageShape } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { CanonicalEncodingError } from "../canonical-encoding.js";

/** Returns the canonical bytes of `message`, a message of type `schema`, by reflection (the test oracle). */
export function reflectiveCanonicalBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  const writer = new BinaryWriter();
  writeMessage(writer, reflect(schema, message));
  return writer.finish();
}

function writeMessage(writer: BinaryWriter, message: ReflectMessage): void {
  for (const field of message.sortedFields) {
    if (!message.isSet(field)) continue;
    writeField(writer, message, field);
  }
}

function writeField(writer: BinaryWriter, message: ReflectMessage, field: DescField): void {
  switch (field.fieldKind) {
    case "scalar":
      writeScalar(writer, field.number, field.scalar, message.get(field));
      return;
    case "enum":
      writer.tag(field.number, WireType.Varint).int32(message.get(field));
      return;
    case "message":
      writeSubMessage(writer, field, field.number, message.get(field));
      return;
    case "list": {
      const list = message.get(field);
      if (field.listKind === "message") {
        for (const item of list) writeSubMessage(writer, field, field.number, item as ReflectMessage);
        return;
      }
      const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      if (field.packed) {
        writer.tag(field.number, WireType.LengthDelimited).fork();
        for (const item of list) writeScalarValue(writer, scalar, item);
        writer.join();
      } else {
        for (const item of list) writeScalar(writer, field.number, scalar, item);
      }
      return;
    }
    case "map": {
      const map = message.get(field);
      const keyScalar = field.mapKey;
      const entries = [...map.entries()].sort(([a], [b]) => compareMapKeys(keyScalar, a, b));
      for (const [key, value] of entries) {
        writer.tag(field.number, WireType.LengthDelimited).fork();
        writeScalar(writer, 1, keyScalar, key);
        switch (field.mapKind) {
          case "scalar":
            writeScalar(writer, 2, field.scalar, value);
            break;
          case "enum":
            writer.tag(2, WireType.Varint).int32(value as number);
            break;
          case "message":
            writeSubMessage(writer, field, 2, value as ReflectMessage);
            break;
        }
        writer.join();
      }
      return;
    }
  }
}

function writeSubMessage(writer: BinaryWriter, field: DescField, number: number, value: ReflectMessage): void {
  if ("delimitedEncoding" in field && field.delimitedEncoding) {
    throw new CanonicalEncodingError(`${field.toString()}: group (delimited) encoding has no canonical form here`);
  }
  writer.tag(number, WireType.LengthDelimited).fork();
  writeMessage(writer, value);
  writer.join();
}

function writeScalar(writer: BinaryWriter, number: number, scalar: ScalarType, value: unknown): void {
  writer.tag(number, wireTypeOf(scalar));
  writeScalarValue(writer, scalar, value);
}

function wireTypeOf(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

function writeScalarValue(writer: BinaryWriter, scalar: ScalarType, value: unknown): void {
  switch (scalar) {
    case ScalarType.STRING: {
      const text = value as string;
      if (!text.isWellFormed()) throw new CanonicalEncodingError("string contains a lone surrogate");
      writer.string(text);
      return;
    }
    case ScalarType.BYTES:
      writer.bytes(value as Uint8Array);
      return;
    case ScalarType.BOOL:
      writer.bool(value as boolean);
      return;
    case ScalarType.DOUBLE:
      writer.double(normaliseFloat(value as number));
      return;
    case ScalarType.FLOAT:
      writer.float(normaliseFloat(value as number));
      return;
    case ScalarType.INT32:
      writer.int32(value as number);
      return;
    case ScalarType.UINT32:
      writer.uint32(value as number);
      return;
    case ScalarType.SINT32:
      writer.sint32(value as number);
      return;
    case ScalarType.FIXED32:
      writer.fixed32(value as number);
      return;
    case ScalarType.SFIXED32:
      writer.sfixed32(value as number);
      return;
    case ScalarType.INT64:
      writer.int64(value as bigint | string);
      return;
    case ScalarType.UINT64:
      writer.uint64(value as bigint | string);
      return;
    case ScalarType.SINT64:
      writer.sint64(value as bigint | string);
      return;
    case ScalarType.FIXED64:
      writer.fixed64(value as bigint | string);
      return;
    case ScalarType.SFIXED64:
      writer.sfixed64(value as bigint | string);
      return;
  }
}

function normaliseFloat(value: number): number {
  if (Number.isNaN(value)) throw new CanonicalEncodingError("NaN has no canonical encoding");
  return value === 0 ? 0 : value;
}

const utf8 = new TextEncoder();

/** Orders map keys as the reference runtimes' deterministic serialization does. */
function compareMapKeys(scalar: ScalarType, a: unknown, b: unknown): number {
  switch (scalar) {
    case ScalarType.STRING:
      return Buffer.compare(utf8.encode(a as string), utf8.encode(b as string));
    case ScalarType.BOOL:
      return Number(a) - Number(b);
    default: {
      const x = BigInt(a as number | bigint | string);
      const y = BigInt(b as number | bigint | string);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}
