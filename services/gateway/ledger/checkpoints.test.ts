import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { LedgerCheckpointSchema } from "#gen/pecr/v1/ledger_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { checkpointSignatureValid, createCheckpointSigner, loadSigningKey, rawPublicKey } from "./checkpoints.js";
import { LedgerConfigError } from "./database.js";
import { checkpointRecord, checkpointSigningMessage, signingKeyId } from "./ledger-records.js";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");

test("a checkpoint signature covers the domain-separated canonical bytes and only them", (t) => {
  const signer = createCheckpointSigner(privateKey);
  t.is(signer.keyId, signingKeyId(rawPublicKey(publicKey)));
  t.is(signer.publicKey.length, 32);
  const record = checkpointRecord("main", { seq: 7n, hash: "a".repeat(64) }, create(TimestampSchema, { seconds: 1n }), signer.keyId);
  const bytes = canonicalBytes(LedgerCheckpointSchema, record);
  const message = checkpointSigningMessage(bytes);
  t.deepEqual(Buffer.from(message.subarray(0, 25)).toString("latin1"), "pecr.v1.LedgerCheckpoint\0");
  const signature = signer.sign(message);
  t.true(checkpointSignatureValid(bytes, signature, signer.publicKey));
  const forged = canonicalBytes(LedgerCheckpointSchema, { ...record, seq: 8n });
  t.false(checkpointSignatureValid(forged, signature, signer.publicKey));
  const other = createCheckpointSigner(generateKeyPairSync("ed25519").privateKey);
  t.false(checkpointSignatureValid(bytes, signature, other.publicKey));
  t.false(checkpointSignatureValid(bytes, new Uint8Array(3), new Uint8Array(5)), "malformed key and signature");
});

test("the signing key is read from PEM text or a PEM file, and must be Ed25519", async (t) => {
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  t.is(createCheckpointSigner(loadSigningKey(pem)).keyId, createCheckpointSigner(privateKey).keyId);
  const dir = await mkdtemp(join(tmpdir(), "pecr-key-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "ledger.pem"), pem);
  t.is(createCheckpointSigner(loadSigningKey(join(dir, "ledger.pem"))).keyId, createCheckpointSigner(privateKey).keyId);
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
  t.throws(() => createCheckpointSigner(rsa), { instanceOf: LedgerConfigError });
  t.throws(() => loadSigningKey("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"), { instanceOf: LedgerConfigError });
});
