/**
 * Golden vectors: message JSON -> canonical bytes (hex) -> domain-separated hash. The committed file pins the
 * bytes so that a change of the encoder or of a protobuf runtime cannot silently change any hash, and a second
 * implementation (Python's deterministic serialization) is checked against the same file.
 */
import { readFileSync } from "node:fs";
import { fromJson, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { canonicalBytes } from "./canonical-encoding.js";
import { domainHash } from "./domain-hash.js";

/** Where the vectors are committed. */
export const GOLDEN_VECTORS_PATH = new URL("./testdata/golden-vectors.json", import.meta.url);

/** One golden vector. */
export interface GoldenVector {
  /** What the vector exercises. */
  readonly name: string;
  /** Full protobuf type name; also the hash domain. */
  readonly type: string;
  /** The message in proto3 JSON form. */
  readonly json: JsonValue;
  /** Canonical bytes, lowercase hex. */
  readonly canonical_hex: string;
  /** SHA-256(type || 0x00 || canonical bytes), lowercase hex. */
  readonly hash: string;
}

/** Reads the committed vectors. */
export function loadGoldenVectors(): GoldenVector[] {
  return JSON.parse(readFileSync(GOLDEN_VECTORS_PATH, "utf8")) as GoldenVector[];
}

/** Computes the canonical hex and hash of a vector's JSON with this implementation. */
export function computeVector(registry: Registry, type: string, json: JsonValue): { canonical_hex: string; hash: string } {
  const schema = registry.getMessage(type);
  if (schema === undefined) throw new Error(`unknown message type ${type}`);
  const bytes = canonicalBytes(schema, fromJson(schema, json, { registry }));
  return { canonical_hex: Buffer.from(bytes).toString("hex"), hash: domainHash(type, bytes) };
}
