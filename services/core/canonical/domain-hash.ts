/**
 * Domain-separated SHA-256: hash = SHA-256(domain || 0x00 || bytes), printed as lowercase hex.
 *
 * Every PECR hash goes through here. The domain of a hashed protobuf message is its full type name (for
 * example `pecr.v1.EvidenceUnitIdentity`), so bytes hashed as one type can never collide with another's.
 */
import { Buffer } from "node:buffer";
import { hash as oneShotHash } from "node:crypto";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { canonicalBytes } from "./canonical-encoding.js";

/** Length of a hex-encoded SHA-256 digest. */
export const SHA256_HEX_LENGTH = 64;

/** The `prev_hash` of the first event of a chain: 64 zeros. */
export const ZERO_HASH = "0".repeat(SHA256_HEX_LENGTH);

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Returns true for exactly 64 lowercase hex characters. */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** Returns the domain-separated SHA-256 of `bytes` under `domain`, as lowercase hex. */
export function domainHash(domain: string, bytes: Uint8Array): string {
  const prefix = domainPrefix(domain);
  // One buffer and a one-shot hash: about half the cost of a streaming Hash object for event-sized inputs.
  const input = Buffer.allocUnsafe(prefix.length + bytes.length);
  prefix.copy(input, 0);
  input.set(bytes, prefix.length);
  return oneShotHash("sha256", input, "hex");
}

/** Bytes decoded from base64 together with their domain-separated hash. */
export interface DecodedAndHashed {
  /** The decoded bytes (a view that stays valid; nothing else shares it). */
  readonly bytes: Uint8Array;
  /** domainHash(domain, bytes). */
  readonly hash: string;
}

/**
 * Decodes `base64` and hashes the bytes under `domain` without an intermediate copy: the bytes are decoded
 * straight behind the domain prefix. Verification uses it for every stored event.
 */
export function decodeBase64AndHash(domain: string, base64: string): DecodedAndHashed {
  const prefix = domainPrefix(domain);
  const input = Buffer.allocUnsafe(prefix.length + Buffer.byteLength(base64, "base64"));
  prefix.copy(input, 0);
  const length = input.write(base64, prefix.length, "base64");
  const end = prefix.length + length;
  return {
    // A plain Uint8Array view: protobuf-es slices it, and slicing a Buffer is much slower.
    bytes: new Uint8Array(input.buffer, input.byteOffset + prefix.length, length),
    hash: oneShotHash("sha256", input.subarray(0, end), "hex"),
  };
}

/** `domain || 0x00` per domain; the domains are the few hashed type names, so the cache stays small. */
const PREFIXES = new Map<string, Buffer>();
const MAX_CACHED_PREFIXES = 256;

function domainPrefix(domain: string): Buffer {
  let prefix = PREFIXES.get(domain);
  if (prefix === undefined) {
    prefix = Buffer.concat([Buffer.from(domain, "utf8"), Buffer.from([0])]);
    if (PREFIXES.size < MAX_CACHED_PREFIXES) PREFIXES.set(domain, prefix);
  }
  return prefix;
}

/** Canonical bytes of a message together with its domain-separated hash. */
export interface HashedMessage {
  /** The canonical bytes that were hashed. */
  readonly bytes: Uint8Array;
  /** The hash, lowercase hex. */
  readonly hash: string;
}

/** Hashes a message's canonical bytes under its own type name. */
export function hashMessage<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string {
  return domainHash(schema.typeName, canonicalBytes(schema, message));
}

/** Like `hashMessage`, but also returns the canonical bytes (for records that store what they hashed). */
export function hashMessageWithBytes<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): HashedMessage {
  const bytes = canonicalBytes(schema, message);
  return { bytes, hash: domainHash(schema.typeName, bytes) };
}
