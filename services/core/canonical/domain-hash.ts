/**
 * Domain-separated SHA-256: hash = SHA-256(domain || 0x00 || bytes), printed as lowercase hex.
 *
 * Every PECR hash goes through here. The domain of a hashed protobuf message is its full type name (for
 * example `pecr.v1.EvidenceUnitIdentity`), so bytes hashed as one type can never collide with another's.
 */
import { createHash } from "node:crypto";
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
  return createHash("sha256").update(domain, "utf8").update(SEPARATOR).update(bytes).digest("hex");
}

const SEPARATOR = new Uint8Array([0]);

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
