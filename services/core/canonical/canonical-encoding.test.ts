/**
 * The production encoder against the reference reading of the rules (`testing/reflective-canonical-encoding.ts`):
 * byte-identical output, and the same refusals, for generated messages of every contract type and for the
 * well-known types whose fields cover every scalar kind.
 */
import test from "ava";
import { create, type DescMessage } from "@bufbuild/protobuf";
import {
  DescriptorProtoSchema,
  DoubleValueSchema,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  StructSchema,
  TimestampSchema,
  UInt64ValueSchema,
  ValueSchema,
} from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { EvidenceUnitSchema } from "#gen/pecr/v1/evidence_pb.js";
import { canonicalBytes } from "./canonical-encoding.js";
import { createContractRegistry } from "./contract-registry.js";
import { arbitraryJsonObject, arbitraryMessage } from "./testing/arbitrary-message.js";
import { reflectiveCanonicalBytes } from "./testing/reflective-canonical-encoding.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** The encoder's outcome: the bytes, or the fact that it refused. */
function outcome(encode: () => Uint8Array): string {
  try {
    return hex(encode());
  } catch {
    return "refused";
  }
}

const contractTypes = [...createContractRegistry()].filter((type): type is DescMessage => type.kind === "message");

test("every contract message type is covered", (t) => {
  t.true(contractTypes.length > 60, `only ${contractTypes.length} message types`);
});

for (const schema of [...contractTypes, StructSchema, ValueSchema, TimestampSchema]) {
  test(`${schema.typeName}: the same bytes as the reference encoding`, (t) => {
    let encoded = 0;
    fc.assert(
      fc.property(arbitraryMessage(schema), (message) => {
        const bytes = outcome(() => canonicalBytes(schema, message));
        t.is(bytes, outcome(() => reflectiveCanonicalBytes(schema, message)));
        if (bytes !== "refused") encoded++;
      }),
      { numRuns: 150 },
    );
    // Generated messages are valid: agreeing only on refusals would prove nothing.
    t.true(encoded >= 140, `only ${encoded} of 150 messages encoded`);
  });
}

test("long strings, large messages and nested lengths past one byte match the reference", (t) => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", minLength: 100, maxLength: 3000 }), arbitraryJsonObject(3), (text, json) => {
      const unit = create(EvidenceUnitSchema, {
        evidenceUnitId: text,
        objectId: text.slice(0, 200),
        content: { case: "json", value: { text, nested: json, list: [text, { text }] } },
        transformChain: Array.from({ length: 40 }, (_, i) => ({ transformType: `step-${i}`, transformHash: text.slice(0, i) })),
      });
      // Slices may split a surrogate pair: then both must refuse.
      t.is(outcome(() => canonicalBytes(EvidenceUnitSchema, unit)), outcome(() => reflectiveCanonicalBytes(EvidenceUnitSchema, unit)));
    }),
    { numRuns: 100 },
  );
});

test("every scalar kind (descriptor and wrapper types) matches the reference", (t) => {
  for (const schema of [FileDescriptorProtoSchema, DescriptorProtoSchema, FieldDescriptorProtoSchema, DoubleValueSchema, UInt64ValueSchema]) {
    fc.assert(
      fc.property(arbitraryMessage(schema, { maxDepth: 2, maxItems: 2 }), (message) => {
        t.is(outcome(() => canonicalBytes(schema, message)), outcome(() => reflectiveCanonicalBytes(schema, message)));
      }),
      { numRuns: 100 },
    );
  }
});

test("out-of-range values are refused like the reference does", (t) => {
  const bad = [
    create(TimestampSchema, { nanos: 2 ** 31 }),
    create(TimestampSchema, { nanos: 1.5 }),
    create(TimestampSchema, { seconds: 2n ** 63n }),
  ];
  for (const message of bad) {
    t.is(outcome(() => reflectiveCanonicalBytes(TimestampSchema, message)), "refused");
    t.is(outcome(() => canonicalBytes(TimestampSchema, message)), "refused");
  }
});

test("a JSON object holding a non-JSON value has no canonical form", (t) => {
  const unit = create(EvidenceUnitSchema, { content: { case: "json", value: { when: undefined as never } } });
  t.throws(() => canonicalBytes(EvidenceUnitSchema, unit));
});

test("a message larger than the retained buffer, then a small one, both match the reference", (t) => {
  const big = create(EvidenceUnitSchema, { objectId: "x".repeat(3 << 20), content: { case: "json", value: { text: "é".repeat(1 << 19) } } });
  const small = create(EvidenceUnitSchema, { objectId: "public/a.txt" });
  t.is(hex(canonicalBytes(EvidenceUnitSchema, big)), hex(reflectiveCanonicalBytes(EvidenceUnitSchema, big)));
  t.is(hex(canonicalBytes(EvidenceUnitSchema, small)), hex(reflectiveCanonicalBytes(EvidenceUnitSchema, small)));
});
