/**
 * Signed checkpoints: an Ed25519 signature (node:crypto) over the chain head `(seq, head_hash)`. A verifier that
 * trusts the key detects against the latest checkpoint what a hash chain alone cannot: a truncated tail, an
 * edited last event and a history rewritten and re-hashed by someone without the key.
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { LedgerCheckpointSchema, type SignedLedgerCheckpoint, SignedLedgerCheckpointSchema } from "#gen/pecr/v1/ledger_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { type LedgerDatabase, LedgerConfigError, type SqlExecutor } from "./database.js";
import { checkpointRecord, checkpointSigningMessage, signingKeyId } from "./ledger-records.js";
import { MAIN_CHAIN_ID } from "./ledger-types.js";
import { timestampText } from "./sql-time.js";

/** A checkpoint signing key. */
export interface CheckpointSigner {
  /** Id of the key: hash of its raw public key (see `signingKeyId`). */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Signs a message. */
  sign(message: Uint8Array): Uint8Array;
}

/** Creates a signer from an Ed25519 private key. */
export function createCheckpointSigner(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519") {
    throw new LedgerConfigError("the ledger signing key must be an Ed25519 private key");
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return {
    keyId: signingKeyId(publicKey),
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** Loads an Ed25519 private key given as PEM text or as the path of a PEM file. */
export function loadSigningKey(pemOrPath: string): KeyObject {
  const pem = pemOrPath.includes("-----BEGIN") ? pemOrPath : readFileSync(pemOrPath, "utf8");
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw new LedgerConfigError("the ledger signing key is not a readable private key", { cause });
  }
}

/** The raw 32 bytes of an Ed25519 public key. */
export function rawPublicKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || jwk.x === undefined) throw new LedgerConfigError("not an Ed25519 public key");
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}

/** An Ed25519 public key object from its raw 32 bytes. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") },
    format: "jwk",
  });
}

/** Whether `signature` is a valid signature of the checkpoint bytes by the raw public key `publicKey`. */
export function checkpointSignatureValid(
  checkpointBytes: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  try {
    return verify(null, checkpointSigningMessage(checkpointBytes), publicKeyFromRaw(publicKey), signature);
  } catch {
    // A malformed stored key or signature is simply not a valid signature.
    return false;
  }
}

/** Signs the head `(seq, hash)` and stores the checkpoint in the current transaction. */
export async function insertCheckpoint(
  tx: SqlExecutor,
  signer: CheckpointSigner,
  chainId: string,
  head: { readonly seq: bigint; readonly hash: string },
  createdAt: Timestamp,
): Promise<SignedLedgerCheckpoint> {
  const checkpoint = checkpointRecord(chainId, head, createdAt, signer.keyId);
  const bytes = canonicalBytes(LedgerCheckpointSchema, checkpoint);
  const signature = signer.sign(checkpointSigningMessage(bytes));
  await tx`INSERT INTO pecr_checkpoints (chain_id, seq, head_hash, key_id, public_key, signature, checkpoint_at,
      canonical_bytes)
    VALUES (${chainId}, ${head.seq}, ${head.hash}, ${signer.keyId}, ${signer.publicKey}, ${signature},
      ${timestampText(createdAt)}::text::timestamptz, ${bytes})
    ON CONFLICT (chain_id, seq, key_id) DO NOTHING`;
  return create(SignedLedgerCheckpointSchema, { checkpoint, signature });
}

/** Writes a signed checkpoint of the chain's current head (`pecr ledger checkpoint`). */
export async function writeCheckpoint(
  db: LedgerDatabase,
  signer: CheckpointSigner,
  createdAt: Timestamp,
  chainId: string = MAIN_CHAIN_ID,
): Promise<SignedLedgerCheckpoint> {
  return db.begin(async (tx) => {
    const [head] = await tx<{ seq: bigint; head_hash: string }>`
      SELECT seq, head_hash FROM pecr_chain_head WHERE chain_id = ${chainId}`;
    if (head === undefined) throw new LedgerConfigError(`no chain head row for chain ${chainId}`);
    return insertCheckpoint(tx, signer, chainId, { seq: head.seq, hash: head.head_hash }, createdAt);
  });
}
