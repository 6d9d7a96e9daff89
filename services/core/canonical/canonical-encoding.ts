/**
 * Canonical protobuf encoding: the deterministic bytes every PECR hash is computed over.
 *
 * protobuf-es writes map entries in insertion order and writes unknown fields back out, so its `toBinary` is
 * not canonical. No maintained JS library produces the reference runtimes' "deterministic serialization", so
 * this module writes it itself. The output is byte-identical to `SerializeToString(deterministic=True)` of the
 * reference protobuf runtimes for the same (normalised) message; `canonical-python.test.ts` checks that on the
 * committed golden vectors, and `canonical-encoding.test.ts` checks this encoder against a direct reflective
 * reading of the rules (`testing/reflective-canonical-encoding.ts`) on generated messages of every contract type.
 *
 * Rules (also stated in proto/README.md):
 * - known fields only, in field-number order; unknown fields are never written;
 * - implicit-presence (proto3) fields are omitted when they hold their zero value; explicit-presence fields
 *   (`optional`, oneof members) are written whenever set, even with a zero value;
 * - repeated scalars and enums are packed where the field is packed (the proto3 default);
 * - map entries are sorted by key (strings by UTF-8 bytes, integers numerically, false before true), and each
 *   entry writes both its key (field 1) and its value (field 2);
 * - floating point: -0 is written as 0, NaN is rejected;
 * - strings must be well-formed Unicode (no lone surrogates).
 *
 * Why not reflection: every gateway call hashes several messages (evidence identities, events), and walking them
 * through `reflect()` with protobuf-es's array-backed `BinaryWriter` was a tenth of the gateway's CPU. Here each
 * message type is compiled once into a list of field writers over the plain message objects, and bytes go
 * straight into one growing buffer.
 */
import { type DescField, type DescMessage, type JsonObject, type JsonValue, type MessageShape, protoInt64, ScalarType } from "@bufbuild/protobuf";
import { isScalarZeroValue } from "@bufbuild/protobuf/reflect";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/** CanonicalEncodingError is thrown for a message that has no canonical form (NaN, ill-formed strings). */
export class CanonicalEncodingError extends Error {
  override readonly name = "CanonicalEncodingError";
}

/** Returns the canonical bytes of `message`, a message of type `schema`. */
export function canonicalBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  // One writer for every call: encoding is synchronous and never re-entered, and reusing its buffer saves an
  // allocation per hash.
  const writer = sharedWriter;
  writer.reset();
  writeMessage(writer, planOf(schema), message as unknown as Fields);
  return writer.finish();
}

/** A message as a plain object: generated message objects are read by their fields' local names. */
type Fields = Record<string, unknown>;

/** Writes one field of a message, if it is set. */
type FieldWriter = (writer: CanonicalWriter, message: Fields) => void;

const plans = new WeakMap<DescMessage, FieldWriter[]>();

function planOf(desc: DescMessage): FieldWriter[] {
  let plan = plans.get(desc);
  if (plan === undefined) {
    // Registered before it is filled, so recursive message types find their (growing) plan.
    plan = [];
    plans.set(desc, plan);
    for (const field of [...desc.fields].sort((a, b) => a.number - b.number)) plan.push(fieldWriter(field));
  }
  return plan;
}

function writeMessage(writer: CanonicalWriter, plan: readonly FieldWriter[], message: Fields): void {
  for (let i = 0; i < plan.length; i++) plan[i]!(writer, message);
}

/** google.protobuf.FeatureSet.FieldPresence.IMPLICIT */
const IMPLICIT_PRESENCE = 2;

const hasOwn = Object.prototype.hasOwnProperty;

/** Compiles the writer of one field: how its value is found and how it is written. */
function fieldWriter(field: DescField): FieldWriter {
  const write = valueWriter(field);
  const name = field.localName;
  if (field.oneof !== undefined) {
    const oneofName = field.oneof.localName;
    return (writer, message) => {
      const selected = message[oneofName] as { case: string | undefined; value?: unknown };
      if (selected.case === name) write(writer, selected.value);
    };
  }
  if (field.presence !== IMPLICIT_PRESENCE) {
    return (writer, message) => {
      const value = message[name];
      if (value !== undefined && hasOwn.call(message, name)) write(writer, value);
    };
  }
  switch (field.fieldKind) {
    case "list":
      return (writer, message) => {
        if ((message[name] as unknown[]).length > 0) write(writer, message[name]);
      };
    case "map":
      return (writer, message) => {
        if (Object.keys(message[name] as object).length > 0) write(writer, message[name]);
      };
    case "scalar": {
      const scalar = field.scalar;
      return (writer, message) => {
        const value = message[name];
        if (!isScalarZeroValue(scalar, value)) write(writer, value);
      };
    }
    case "enum": {
      const zero = field.enum.values[0]?.number ?? 0;
      return (writer, message) => {
        if (message[name] !== zero) write(writer, message[name]);
      };
    }
    case "message":
      // Message fields always have explicit presence; protobuf-es agrees.
      throw new Error(`${field.toString()}: message field with implicit presence`);
  }
}

/** Writes a set field's tag(s) and value. */
type ValueWriter = (writer: CanonicalWriter, value: unknown) => void;

function valueWriter(field: DescField): ValueWriter {
  const number = field.number;
  switch (field.fieldKind) {
    case "scalar": {
      const scalar = field.scalar;
      const tag = tagOf(number, wireTypeOf(scalar));
      return (writer, value) => {
        writer.uint32(tag);
        writeScalarValue(writer, scalar, value);
      };
    }
    case "enum": {
      const tag = tagOf(number, WireType.Varint);
      return (writer, value) => {
        writer.uint32(tag);
        writer.int32(value as number);
      };
    }
    case "message": {
      const write = subMessageWriter(field, field.message);
      const tag = tagOf(number, WireType.LengthDelimited);
      return (writer, value) => {
        writer.uint32(tag);
        write(writer, value);
      };
    }
    case "list": {
      if (field.listKind === "message") {
        const write = subMessageWriter(field, field.message);
        const tag = tagOf(number, WireType.LengthDelimited);
        return (writer, value) => {
          for (const item of value as unknown[]) {
            writer.uint32(tag);
            write(writer, item);
          }
        };
      }
      const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      if (field.packed) {
        const tag = tagOf(number, WireType.LengthDelimited);
        return (writer, value) => {
          writer.uint32(tag);
          const start = writer.beginLengthDelimited();
          for (const item of value as unknown[]) writeScalarValue(writer, scalar, item);
          writer.endLengthDelimited(start);
        };
      }
      const tag = tagOf(number, wireTypeOf(scalar));
      return (writer, value) => {
        for (const item of value as unknown[]) {
          writer.uint32(tag);
          writeScalarValue(writer, scalar, item);
        }
      };
    }
    case "map": {
      const keyScalar = field.mapKey;
      const keyTag = tagOf(1, wireTypeOf(keyScalar));
      const entryTag = tagOf(number, WireType.LengthDelimited);
      let writeValue: ValueWriter;
      switch (field.mapKind) {
        case "scalar": {
          const scalar = field.scalar;
          const valueTag = tagOf(2, wireTypeOf(scalar));
          writeValue = (writer, value) => {
            writer.uint32(valueTag);
            writeScalarValue(writer, scalar, value);
          };
          break;
        }
        case "enum": {
          const valueTag = tagOf(2, WireType.Varint);
          writeValue = (writer, value) => {
            writer.uint32(valueTag);
            writer.int32(value as number);
          };
          break;
        }
        case "message": {
          const write = subMessageWriter(field, field.message);
          const valueTag = tagOf(2, WireType.LengthDelimited);
          writeValue = (writer, value) => {
            writer.uint32(valueTag);
            write(writer, value);
          };
          break;
        }
      }
      return (writer, value) => {
        const record = value as Record<string, unknown>;
        for (const key of sortedMapKeys(keyScalar, Object.keys(record))) {
          writer.uint32(entryTag);
          const start = writer.beginLengthDelimited();
          writer.uint32(keyTag);
          writeScalarValue(writer, keyScalar, mapKeyValue(keyScalar, key));
          writeValue(writer, record[key]);
          writer.endLengthDelimited(start);
        }
      };
    }
  }
}

const STRUCT = "google.protobuf.Struct";
const VALUE = "google.protobuf.Value";

/**
 * Writes a length-delimited sub-message value. protobuf-es represents some well-known types by their JSON or
 * primitive form in fields: a Struct as a JSON object (except inside a Value) and a wrapper type as its
 * primitive (in singular fields outside oneofs); those are written as the messages they stand for.
 */
function subMessageWriter(field: DescField, desc: DescMessage): ValueWriter {
  if ("delimitedEncoding" in field && field.delimitedEncoding) {
    throw new CanonicalEncodingError(`${field.toString()}: group (delimited) encoding has no canonical form here`);
  }
  const messageOf = (writer: CanonicalWriter, value: unknown) => {
    const start = writer.beginLengthDelimited();
    writeMessage(writer, planOf(desc), value as Fields);
    writer.endLengthDelimited(start);
  };
  if (desc.typeName === STRUCT && field.parent.typeName !== VALUE) {
    return (writer, value) => {
      if (isMessageObject(value)) return messageOf(writer, value);
      const start = writer.beginLengthDelimited();
      writeJsonObjectAsStruct(writer, value as JsonObject);
      writer.endLengthDelimited(start);
    };
  }
  if (isWrapperDesc(desc) && field.oneof === undefined && field.fieldKind === "message") {
    const inner = desc.fields[0]!;
    const innerTag = tagOf(inner.number, wireTypeOf(inner.scalar ?? ScalarType.STRING));
    return (writer, value) => {
      if (isMessageObject(value)) return messageOf(writer, value);
      const start = writer.beginLengthDelimited();
      if (inner.scalar !== undefined && !isScalarZeroValue(inner.scalar, value)) {
        writer.uint32(innerTag);
        writeScalarValue(writer, inner.scalar, value);
      }
      writer.endLengthDelimited(start);
    };
  }
  return messageOf;
}

function isMessageObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { $typeName?: unknown }).$typeName === "string";
}

// google.protobuf.Struct { map<string, Value> fields = 1; }
// google.protobuf.Value { oneof kind { NullValue null_value = 1; double number_value = 2; string string_value = 3;
//   bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6; } }
// google.protobuf.ListValue { repeated Value values = 1; }
const STRUCT_FIELDS_TAG = tagOf(1, WireType.LengthDelimited);
const ENTRY_KEY_TAG = tagOf(1, WireType.LengthDelimited);
const ENTRY_VALUE_TAG = tagOf(2, WireType.LengthDelimited);
const NULL_VALUE_TAG = tagOf(1, WireType.Varint);
const NUMBER_VALUE_TAG = tagOf(2, WireType.Bit64);
const STRING_VALUE_TAG = tagOf(3, WireType.LengthDelimited);
const BOOL_VALUE_TAG = tagOf(4, WireType.Varint);
const STRUCT_VALUE_TAG = tagOf(5, WireType.LengthDelimited);
const LIST_VALUE_TAG = tagOf(6, WireType.LengthDelimited);
const LIST_VALUES_TAG = tagOf(1, WireType.LengthDelimited);

/** Writes the fields of the Struct a JSON object stands for. */
function writeJsonObjectAsStruct(writer: CanonicalWriter, object: JsonObject): void {
  for (const key of sortedMapKeys(ScalarType.STRING, Object.keys(object))) {
    writer.uint32(STRUCT_FIELDS_TAG);
    const entry = writer.beginLengthDelimited();
    writer.uint32(ENTRY_KEY_TAG);
    writer.string(key);
    writer.uint32(ENTRY_VALUE_TAG);
    const value = writer.beginLengthDelimited();
    writeJsonValueAsValue(writer, object[key] as JsonValue);
    writer.endLengthDelimited(value);
    writer.endLengthDelimited(entry);
  }
}

/** Writes the fields of the Value a JSON value stands for (the kind is a oneof: always written when set). */
function writeJsonValueAsValue(writer: CanonicalWriter, value: JsonValue): void {
  if (value === null) {
    writer.uint32(NULL_VALUE_TAG);
    writer.uint32(0);
  } else if (typeof value === "number") {
    writer.uint32(NUMBER_VALUE_TAG);
    writer.double(normaliseFloat(value));
  } else if (typeof value === "string") {
    writer.uint32(STRING_VALUE_TAG);
    writer.string(value);
  } else if (typeof value === "boolean") {
    writer.uint32(BOOL_VALUE_TAG);
    writer.uint32(value ? 1 : 0);
  } else if (Array.isArray(value)) {
    writer.uint32(LIST_VALUE_TAG);
    const list = writer.beginLengthDelimited();
    for (const item of value) {
      writer.uint32(LIST_VALUES_TAG);
      const itemStart = writer.beginLengthDelimited();
      writeJsonValueAsValue(writer, item);
      writer.endLengthDelimited(itemStart);
    }
    writer.endLengthDelimited(list);
  } else if (typeof value === "object") {
    writer.uint32(STRUCT_VALUE_TAG);
    const struct = writer.beginLengthDelimited();
    writeJsonObjectAsStruct(writer, value);
    writer.endLengthDelimited(struct);
  } else {
    throw new CanonicalEncodingError(`${typeof value} is not a JSON value`);
  }
}

function tagOf(number: number, wireType: WireType): number {
  return ((number << 3) | wireType) >>> 0;
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

function writeScalarValue(writer: CanonicalWriter, scalar: ScalarType, value: unknown): void {
  switch (scalar) {
    case ScalarType.STRING:
      writer.string(value as string);
      return;
    case ScalarType.BYTES:
      writer.bytes(value as Uint8Array);
      return;
    case ScalarType.BOOL:
      writer.uint32(value ? 1 : 0);
      return;
    case ScalarType.DOUBLE:
      writer.double(normaliseFloat(value as number));
      return;
    case ScalarType.INT32:
      writer.int32(value as number);
      return;
    case ScalarType.UINT32:
      writer.checkedUint32(value as number);
      return;
    case ScalarType.INT64: {
      const { lo, hi } = protoInt64.enc(value as bigint | string);
      writer.varint64(lo, hi);
      return;
    }
    case ScalarType.UINT64: {
      const { lo, hi } = protoInt64.uEnc(value as bigint | string);
      writer.varint64(lo, hi);
      return;
    }
    case ScalarType.FLOAT:
      // The remaining scalars are rare in PECR's contracts; protobuf-es's writer encodes (and range-checks) them.
      writer.raw(new BinaryWriter().float(normaliseFloat(value as number)).finish());
      return;
    case ScalarType.SINT32:
      writer.raw(new BinaryWriter().sint32(value as number).finish());
      return;
    case ScalarType.FIXED32:
      writer.raw(new BinaryWriter().fixed32(value as number).finish());
      return;
    case ScalarType.SFIXED32:
      writer.raw(new BinaryWriter().sfixed32(value as number).finish());
      return;
    case ScalarType.SINT64:
      writer.raw(new BinaryWriter().sint64(value as bigint | string).finish());
      return;
    case ScalarType.FIXED64:
      writer.raw(new BinaryWriter().fixed64(value as bigint | string).finish());
      return;
    case ScalarType.SFIXED64:
      writer.raw(new BinaryWriter().sfixed64(value as bigint | string).finish());
      return;
  }
}

function normaliseFloat(value: number): number {
  if (Number.isNaN(value)) throw new CanonicalEncodingError("NaN has no canonical encoding");
  return value === 0 ? 0 : value;
}

/** A map key (an object key in protobuf-es) as the scalar it is. */
function mapKeyValue(scalar: ScalarType, key: string): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return key;
    case ScalarType.BOOL:
      return key === "true";
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BigInt(key);
    default:
      return Number(key);
  }
}

const utf8 = new TextEncoder();

/** Orders map keys as the reference runtimes' deterministic serialization does. */
function sortedMapKeys(scalar: ScalarType, keys: string[]): string[] {
  if (keys.length < 2) return keys;
  switch (scalar) {
    case ScalarType.STRING: {
      // UTF-16 order equals UTF-8 byte order except around surrogate pairs; compare bytes only then.
      return keys.sort((a, b) => (isAsciiOrBmpOnly(a) && isAsciiOrBmpOnly(b) ? compareBmp(a, b) : Buffer.compare(utf8.encode(a), utf8.encode(b))));
    }
    case ScalarType.BOOL:
      return keys.sort((a, b) => Number(a === "true") - Number(b === "true"));
    default:
      return keys.sort((a, b) => {
        const x = BigInt(a);
        const y = BigInt(b);
        return x < y ? -1 : x > y ? 1 : 0;
      });
  }
}

/** True when `text` has no surrogate code units (so UTF-16 code unit order is UTF-8 byte order). */
function isAsciiOrBmpOnly(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdfff) return false;
  }
  return true;
}

function compareBmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;
const UINT32_MAX = 0xffffffff;
const INITIAL_CAPACITY = 512;
const MAX_RETAINED_CAPACITY = 1 << 20;

/**
 * Writes protobuf wire data into one growing buffer. A length-delimited value reserves one byte for its length
 * and moves its contents when the length needs more (rare for the small messages hashed here).
 */
class CanonicalWriter {
  private buf = new Uint8Array(INITIAL_CAPACITY);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  /** Starts a new message. */
  reset(): void {
    this.pos = 0;
    // A rare large message should not pin its buffer for the life of the process.
    if (this.buf.length > MAX_RETAINED_CAPACITY) {
      this.buf = new Uint8Array(INITIAL_CAPACITY);
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < this.pos + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** An unsigned varint of a value known to be a uint32 (tags, lengths, booleans). */
  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (value > 0x7f) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[this.pos++] = value;
  }

  /** A uint32 field value, range-checked like protobuf-es. */
  checkedUint32(value: number): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) throw new Error(`invalid uint32: ${value}`);
    this.uint32(value);
  }

  /** An int32 (or enum) value: negative values take ten bytes, sign-extended, as in every protobuf runtime. */
  int32(value: number): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value > INT32_MAX || value < INT32_MIN) throw new Error(`invalid int32: ${value}`);
    if (value >= 0) this.uint32(value);
    else this.varint64(value | 0, -1);
  }

  /** A 64-bit varint from its two's-complement halves (protobuf's varint64 algorithm). */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    for (let i = 0; i < 28; i += 7) {
      const shift = lo >>> i;
      const hasNext = !(shift >>> 7 === 0 && hi === 0);
      buf[this.pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) return;
    }
    const splitBits = ((lo >>> 28) & 0x0f) | ((hi & 0x07) << 4);
    const hasMoreBits = hi >> 3 !== 0;
    buf[this.pos++] = (hasMoreBits ? splitBits | 0x80 : splitBits) & 0xff;
    if (!hasMoreBits) return;
    for (let i = 3; i < 31; i += 7) {
      const shift = hi >>> i;
      const hasNext = shift >>> 7 !== 0;
      buf[this.pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) return;
    }
    buf[this.pos++] = (hi >>> 31) & 0x01;
  }

  /** A little-endian double. */
  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Bytes copied as they are (already encoded wire data). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A length-prefixed byte string. */
  bytes(value: Uint8Array): void {
    this.uint32(value.byteLength);
    this.raw(value);
  }

  /** A length-prefixed UTF-8 string; ill-formed strings (lone surrogates) have no canonical form. */
  string(text: string): void {
    const length = text.length;
    if (length < 0x80) {
      // Most strings here are short ASCII (ids, hashes, names): copied unit by unit, length known up front.
      this.ensure(1 + length);
      const buf = this.buf;
      const at = this.pos + 1;
      let i = 0;
      while (i < length) {
        const unit = text.charCodeAt(i);
        if (unit >= 0x80) break;
        buf[at + i] = unit;
        i++;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = at + length;
        return;
      }
    }
    if (!text.isWellFormed()) throw new CanonicalEncodingError("string contains a lone surrogate");
    // At most three bytes per UTF-16 code unit; the length is written in front once it is known.
    this.ensure(5 + text.length * 3);
    const start = this.beginLengthDelimited();
    const { written } = utf8.encodeInto(text, this.buf.subarray(this.pos));
    this.pos += written;
    this.endLengthDelimited(start);
  }

  /** Reserves the length byte of a length-delimited value; returns where it is. */
  beginLengthDelimited(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of the value begun at `start`, moving the value when the length takes more than a byte. */
  endLengthDelimited(start: number): void {
    const length = this.pos - start - 1;
    if (length < 0x80) {
      this.buf[start] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    this.buf.copyWithin(start + size, start + 1, this.pos);
    this.pos += size - 1;
    let at = start;
    let value = length;
    while (value > 0x7f) {
      this.buf[at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buf[at] = value;
  }
}

const sharedWriter = new CanonicalWriter();

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value >>>= 7;
    size++;
  }
  return size;
}
