/**
 * Test support (not used by services): signing keys generated in the test process and tokens built from
 * them, including the malicious shapes the OIDC authenticator must refuse (`alg: none`, HS256 keyed with the
 * public key).
 */
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from "jose";

/** An asymmetric algorithm the authenticator accepts. */
export type SigningAlgorithm = "RS256" | "ES256" | "EdDSA";

/** A generated key pair with its public JWK. */
export interface SigningKey {
  /** Algorithm. */
  readonly alg: SigningAlgorithm;
  /** Key id. */
  readonly kid: string;
  /** Private key, for signing. */
  readonly privateKey: CryptoKey;
  /** Public key. */
  readonly publicKey: CryptoKey;
  /** Public JWK (with `kid`, `alg`, `use`) as published in a JWKS. */
  readonly publicJwk: JWK;
}

/** Generates a key pair for `alg` named `kid`. */
export async function createSigningKey(alg: SigningAlgorithm, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { alg, kid, privateKey, publicKey, publicJwk };
}

/** The JWKS publishing the public halves of `keys`. */
export function jwksOf(...keys: readonly SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** Header overrides for `signToken`. */
export interface TokenHeader {
  /** Replaces the key's `kid` (undefined keeps it). */
  readonly kid?: string;
}

/** Signs `claims` with `key` (header `alg` and `kid` from the key unless overridden). */
export async function signToken(key: SigningKey, claims: JWTPayload, header: TokenHeader = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid }).sign(key.privateKey);
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: JWTPayload): string {
  return new UnsecuredJWT(claims).encode();
}

/**
 * The key-confusion attack: an HS256 token whose HMAC secret is the public key (PEM), which a verifier that
 * trusted the header's `alg` would accept.
 */
export async function hs256SignedWithPublicKey(key: SigningKey, claims: JWTPayload): Promise<string> {
  const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: key.kid }).sign(secret);
}

/** Seconds since the epoch of `date`. */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
