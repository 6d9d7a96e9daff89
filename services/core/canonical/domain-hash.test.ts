import { createHash } from "node:crypto";
import test from "ava";
import fc from "fast-check";
import { decodeBase64AndHash, domainHash } from "./domain-hash.js";

/** The definition, written the obvious way: SHA-256(domain || 0x00 || bytes). */
function reference(domain: string, bytes: Uint8Array): string {
  return createHash("sha256").update(Buffer.from(domain, "utf8")).update(Buffer.from([0])).update(bytes).digest("hex");
}

test("domainHash is SHA-256 over the domain, a zero byte and the bytes", (t) => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), fc.uint8Array({ maxLength: 2048 }), (domain, bytes) => {
      t.is(domainHash(domain, bytes), reference(domain, bytes));
    }),
    { numRuns: 500 },
  );
  t.is(domainHash("pecr.v1.LedgerEvent", new Uint8Array()), reference("pecr.v1.LedgerEvent", new Uint8Array()));
});

test("the domain separates: the same bytes under two domains, or moved across the separator, hash differently", (t) => {
  const bytes = new Uint8Array([1, 2, 3]);
  t.not(domainHash("pecr.v1.A", bytes), domainHash("pecr.v1.B", bytes));
  t.not(domainHash("ab", new Uint8Array([0x63])), domainHash("a", new Uint8Array([0x62, 0x63])));
});

test("decodeBase64AndHash returns the decoded bytes and their domainHash, for every length", (t) => {
  fc.assert(
    fc.property(fc.constantFrom("pecr.v1.LedgerEvent", "x", "ünïcode"), fc.uint8Array({ maxLength: 1500 }), (domain, bytes) => {
      const decoded = decodeBase64AndHash(domain, Buffer.from(bytes).toString("base64"));
      t.deepEqual(Buffer.from(decoded.bytes), Buffer.from(bytes));
      t.is(decoded.hash, reference(domain, bytes));
    }),
    { numRuns: 300 },
  );
});

test("decoded bytes stay valid after later decodes (no shared scratch buffer)", (t) => {
  const first = decodeBase64AndHash("d", Buffer.from([1, 2, 3]).toString("base64"));
  for (let i = 0; i < 1000; i++) decodeBase64AndHash("d", Buffer.from([9, 9, 9, 9]).toString("base64"));
  t.deepEqual([...first.bytes], [1, 2, 3]);
});

test("many distinct domains (past the prefix cache) still hash correctly", (t) => {
  for (let i = 0; i < 600; i++) t.is(domainHash(`domain-${i}`, new Uint8Array([i & 255])), reference(`domain-${i}`, new Uint8Array([i & 255])));
});
