/**
 * Properties of the canonical encoding: the bytes depend only on the message's value — never on how it was
 * built (field order, map insertion order) or on unknown fields — and every identity field feeds its hash.
 */
import test from "ava";
import { create, equals, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { FetchRowsParamsSchema, OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import {
  ClaimIdentitySchema,
  ContentIdentitySchema,
  EvidenceUnitIdentitySchema,
  PolicySnapshotIdentitySchema,
  PrincipalAttributesIdentitySchema,
  TransformIdentitySchema,
  VersionMetadataIdentitySchema,
} from "#gen/pecr/v1/identity_pb.js";
import { LedgerEventSchema } from "#gen/pecr/v1/ledger_pb.js";
import { PolicySnapshotSchema } from "#gen/pecr/v1/policy_pb.js";
import { canonicalBytes, CanonicalEncodingError } from "./canonical-encoding.js";
import { hashMessage } from "./domain-hash.js";
import { arbitraryInit, arbitraryMessage, arbitraryScalar } from "./testing/arbitrary-message.js";

const schemas: DescMessage[] = [
  EvidenceUnitIdentitySchema,
  PolicySnapshotIdentitySchema,
  PrincipalAttributesIdentitySchema,
  ClaimIdentitySchema,
  TransformIdentitySchema,
  ContentIdentitySchema,
  VersionMetadataIdentitySchema,
  OperatorParamsSchema,
  LedgerEventSchema,
  PolicySnapshotSchema,
];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Rebuilds a plain init value with object keys (fields and map entries) in reversed or shuffled order. */
function reorderKeys(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => reorderKeys(item, order));
  if (value instanceof Uint8Array || typeof value !== "object" || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const key of order(Object.keys(value))) result[key] = reorderKeys((value as Record<string, unknown>)[key], order);
  return result;
}

for (const schema of schemas) {
  test(`${schema.typeName}: the order fields and map entries are set in never changes the bytes`, (t) => {
    fc.assert(
      fc.property(arbitraryInit(schema, 3, 4), fc.boolean(), (init, reverse) => {
        const reordered = reorderKeys(init, (keys) => (reverse ? [...keys].reverse() : [...keys].sort()));
        const a = canonicalBytes(schema, create(schema, init as never) as MessageShape<DescMessage>);
        const b = canonicalBytes(schema, create(schema, reordered as never) as MessageShape<DescMessage>);
        return hex(a) === hex(b);
      }),
    );
    t.pass();
  });

  test(`${schema.typeName}: unknown fields never change the bytes`, (t) => {
    const unknownField = fc.record({
      number: fc.integer({ min: 1000, max: 536_870_911 }),
      value: fc.oneof(arbitraryScalar(9 /* STRING */), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    });
    fc.assert(
      fc.property(arbitraryMessage(schema), fc.array(unknownField, { maxLength: 3 }), (message, unknowns) => {
        const base = canonicalBytes(schema, message);
        const writer = new BinaryWriter();
        writer.raw(toBinary(schema, message));
        for (const { number, value } of unknowns) {
          if (typeof value === "bigint") writer.tag(number, WireType.Varint).uint64(value);
          else writer.tag(number, WireType.LengthDelimited).string(value as string);
        }
        const withUnknowns = fromBinary(schema, writer.finish());
        return hex(canonicalBytes(schema, withUnknowns)) === hex(base);
      }),
    );
    t.pass();
  });

  test(`${schema.typeName}: canonical bytes decode to an equal message and re-encode identically`, (t) => {
    fc.assert(
      fc.property(arbitraryMessage(schema), (message) => {
        const bytes = canonicalBytes(schema, message);
        const decoded = fromBinary(schema, bytes);
        return equals(schema, decoded, message) && hex(canonicalBytes(schema, decoded)) === hex(bytes);
      }),
    );
    t.pass();
  });
}

test("canonical bytes equal protobuf-es's encoding for messages without maps or unknown fields", (t) => {
  fc.assert(
    fc.property(arbitraryMessage(ClaimIdentitySchema), arbitraryMessage(VersionMetadataIdentitySchema), (claim, version) => {
      return (
        hex(canonicalBytes(ClaimIdentitySchema, claim)) === hex(toBinary(ClaimIdentitySchema, claim)) &&
        hex(canonicalBytes(VersionMetadataIdentitySchema, version)) === hex(toBinary(VersionMetadataIdentitySchema, version))
      );
    }),
  );
  t.pass();
});

for (const schema of [EvidenceUnitIdentitySchema, PolicySnapshotIdentitySchema, ClaimIdentitySchema, VersionMetadataIdentitySchema]) {
  test(`${schema.typeName}: changing any identity field changes the hash`, (t) => {
    for (const field of schema.fields) {
      fc.assert(
        fc.property(arbitraryMessage(schema), arbitraryMessage(schema), (a, b) => {
          // Take every field from `a` except one, which comes from `b`.
          const mixed = create(schema, a as never) as Record<string, unknown>;
          const donor = b as Record<string, unknown>;
          const key = field.oneof ? field.oneof.localName : field.localName;
          mixed[key] = donor[key];
          const sameField = equals(schema, create(schema, a as never), mixed as never);
          return sameField || hashMessage(schema, a) !== hashMessage(schema, mixed as never);
        }),
        { numRuns: 50 },
      );
    }
    t.pass();
  });
}

test("map entries are ordered by UTF-8 bytes, not by JavaScript's key order", (t) => {
  const forward = create(FetchRowsParamsSchema, { filterSpec: { "10": "a", "2": "b", z: "c", "\u{1F600}": "d", "\uFF5E": "e" } });
  const keys: string[] = [];
  const bytes = canonicalBytes(FetchRowsParamsSchema, forward);
  const decoded = fromBinary(FetchRowsParamsSchema, bytes);
  // Re-read the entries in wire order by decoding one entry at a time.
  let offset = 0;
  while (offset < bytes.length) {
    const length = bytes[offset + 1]!;
    const entry = bytes.subarray(offset + 2, offset + 2 + length);
    const keyLength = entry[1]!;
    keys.push(Buffer.from(entry.subarray(2, 2 + keyLength)).toString("utf8"));
    offset += 2 + length;
  }
  t.deepEqual(keys, ["10", "2", "z", "\uFF5E", "\u{1F600}"]);
  t.deepEqual(decoded.filterSpec, forward.filterSpec);
});

test("-0 encodes as 0 and NaN is rejected", (t) => {
  const zero = create(ContentIdentitySchema, { content: { case: "json", value: { x: 0 } } });
  const negativeZero = create(ContentIdentitySchema, { content: { case: "json", value: { x: -0 } } });
  t.is(hex(canonicalBytes(ContentIdentitySchema, negativeZero)), hex(canonicalBytes(ContentIdentitySchema, zero)));
  const nan = create(ContentIdentitySchema, { content: { case: "json", value: { x: Number.NaN } } });
  t.throws(() => canonicalBytes(ContentIdentitySchema, nan), { instanceOf: CanonicalEncodingError });
});

test("a string with a lone surrogate has no canonical form", (t) => {
  const message = create(ClaimIdentitySchema, { claimText: "bad \uD800 text" });
  t.throws(() => canonicalBytes(ClaimIdentitySchema, message), { instanceOf: CanonicalEncodingError });
});
