/**
 * JWT builtins over node:crypto (synchronous, as builtins must be): io.jwt.decode, decode_verify,
 * verify_{hs,rs,ps,es}{256,384,512}, verify_eddsa, encode_sign, encode_sign_raw. Keys come as PEM
 * (certificate or public key), JWK or JWK set JSON; HMAC keys as the raw secret.
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import { BuiltinError } from "../errors.js";
import { fromJson } from "../value-json.js";
import { RObject, toBigInt, type Value } from "../value.js";
import { obj, str } from "./args.js";
import { goJson } from "./json.js";
import { def, type BuiltinContext, type BuiltinDef } from "./types.js";

const HASHES: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };
const ALGORITHMS = new Set(["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]);

interface Decoded {
  readonly header: Record<string, unknown>;
  readonly headerRaw: string;
  readonly payloadRaw: Buffer;
  readonly signature: Buffer;
  readonly signingInput: string;
}

function b64url(s: string): Buffer {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new BuiltinError("failed to decode JWT: illegal base64 data");
  return Buffer.from(s.replace(/=+$/, ""), "base64url");
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BuiltinError(`JWT ${what} is not valid JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new BuiltinError(`JWT ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function decodeCompact(token: string): Decoded {
  const parts = token.split(".");
  if (parts.length === 1) throw new BuiltinError("encoded JWT had no period separators");
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const headerRaw = b64url(h).toString("utf8");
  const header = parseJsonObject(headerRaw, "header");
  if (header["enc"] !== undefined) throw new BuiltinError("JWT is a JWE object, which is not supported");
  return { header, headerRaw, payloadRaw: b64url(p), signature: b64url(s), signingInput: `${h}.${p}` };
}

/** Follows nested JWTs (`cty: JWT`), calling `check` on each layer; returns the innermost layer. */
function unwrap(token: string, check?: (d: Decoded) => boolean): Decoded | undefined {
  let current = token;
  for (;;) {
    const d = decodeCompact(current);
    if (check !== undefined && !check(d)) return undefined;
    if (d.header["cty"] !== "JWT") return d;
    let inner: unknown;
    try {
      inner = JSON.parse(d.payloadRaw.toString("utf8"));
    } catch {
      inner = d.payloadRaw.toString("utf8");
    }
    if (typeof inner !== "string") throw new BuiltinError("nested JWT payload is not a token");
    current = inner;
  }
}

function payloadOf(d: Decoded): Record<string, unknown> {
  return parseJsonObject(d.payloadRaw.toString("utf8"), "payload");
}

/** Public keys from a PEM certificate / public key, a JWK or a JWK set. */
function publicKeys(material: string): KeyObject[] {
  const text = material.trim();
  if (text.startsWith("-----BEGIN")) {
    try {
      if (text.includes("CERTIFICATE")) return [new X509Certificate(text).publicKey];
      return [createPublicKey(text)];
    } catch {
      throw new BuiltinError("failed to parse a PEM certificate");
    }
  }
  try {
    const parsed = JSON.parse(text) as { keys?: unknown[] } & Record<string, unknown>;
    const jwks = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
    return jwks.map((jwk) => {
      const k = jwk as Record<string, unknown>;
      if (k["kty"] === "oct" && typeof k["k"] === "string") return createSecretKey(Buffer.from(k["k"], "base64url"));
      return createPublicKey({ key: k as never, format: "jwk" });
    });
  } catch {
    throw new BuiltinError("failed to parse a JWK key (set)");
  }
}

function verifySignature(alg: string, d: Decoded, keys: readonly KeyObject[] | undefined, secret: string | undefined): boolean {
  const data = Buffer.from(d.signingInput, "ascii");
  const family = alg.slice(0, 2);
  const hash = HASHES[alg.slice(2)];
  if (family === "HS") {
    if (hash === undefined) return false;
    const candidates: Buffer[] = [];
    if (secret !== undefined) candidates.push(Buffer.from(secret, "utf8"));
    for (const k of keys ?? []) if (k.type === "secret") candidates.push(k.export());
    return candidates.some((key) => {
      const mac = createHmac(hash, key).update(data).digest();
      return mac.length === d.signature.length && timingSafeEqual(mac, d.signature);
    });
  }
  return (keys ?? []).some((key) => {
    try {
      if (alg === "EdDSA") return key.asymmetricKeyType === "ed25519" && cryptoVerify(null, data, key, d.signature);
      if (hash === undefined || key.type !== "public") return false;
      if (family === "RS" && key.asymmetricKeyType === "rsa") {
        return cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, d.signature);
      }
      if (family === "PS" && (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss")) {
        return cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, d.signature);
      }
      if (family === "ES" && key.asymmetricKeyType === "ec") {
        return cryptoVerify(hash, data, { key, dsaEncoding: "ieee-p1363" }, d.signature);
      }
      return false;
    } catch {
      return false;
    }
  });
}

/** io.jwt.verify_<alg>(token, key or secret). */
function verifyBuiltin(alg: string): BuiltinDef {
  return def(`io.jwt.verify_${alg.toLowerCase()}`, 2, (args) => {
    const d = decodeCompact(str(args, 1));
    const material = str(args, 2);
    if (d.header["alg"] !== alg) return false;
    if (alg.startsWith("HS")) return verifySignature(alg, d, undefined, material);
    return verifySignature(alg, d, publicKeys(material), undefined);
  });
}

/** A NumericDate claim as exact nanoseconds. */
function claimNs(v: unknown, name: string): bigint {
  if (typeof v !== "number") throw new BuiltinError(`${name} value must be a number`);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(v));
  if (m === null) return BigInt(Math.trunc(v * 1e9));
  const frac = (m[3] ?? "").padEnd(9, "0").slice(0, 9);
  let ns = BigInt(m[2] as string) * 1_000_000_000n + BigInt(frac || "0");
  if (m[4] !== undefined) ns = BigInt(Math.trunc(v * 1e9));
  return m[1] === "-" ? -ns : ns;
}

const CONSTRAINT_KEYS = new Set(["cert", "secret", "alg", "iss", "aud", "time"]);
const INVALID: Value = [false, new RObject(), new RObject()];

function decodeVerify(args: Value[], ctx: BuiltinContext): Value {
  const token = str(args, 1);
  const constraints = obj(args, 2);
  let keys: KeyObject[] | undefined;
  let secret: string | undefined;
  let alg: string | undefined;
  let iss: string | undefined;
  let aud: string | undefined;
  let now = ctx.nowNs;
  for (const [k, v] of constraints.entries()) {
    if (typeof k !== "string" || !CONSTRAINT_KEYS.has(k)) throw new BuiltinError(`unknown token validation constraint: ${String(k)}`);
    if (k === "time") {
      if (typeof v !== "number" && typeof v !== "bigint") throw new BuiltinError("token validation constraint time must be a number");
      now = toBigInt(v) ?? BigInt(Math.trunc(Number(v)));
      continue;
    }
    if (typeof v !== "string") throw new BuiltinError(`token validation constraint ${k} must be a string`);
    if (k === "cert") keys = publicKeys(v);
    else if (k === "secret") secret = v;
    else if (k === "alg") alg = v;
    else if (k === "iss") iss = v;
    else aud = v;
  }
  if (keys === undefined && secret === undefined) throw new BuiltinError("no key or secret given to verify the token");
  const layer = unwrap(token, (d) => {
    const headerAlg = d.header["alg"];
    if (typeof headerAlg !== "string" || !ALGORITHMS.has(headerAlg)) return false;
    if (alg !== undefined && headerAlg !== alg) return false;
    const crit = d.header["crit"];
    if (crit !== undefined) return false;
    return verifySignature(headerAlg, d, keys, secret);
  });
  if (layer === undefined) return INVALID;
  const payload = payloadOf(layer);
  if (payload["exp"] !== undefined && now >= claimNs(payload["exp"], "exp")) return INVALID;
  if (payload["nbf"] !== undefined && now < claimNs(payload["nbf"], "nbf")) return INVALID;
  if (iss !== undefined && payload["iss"] !== iss) return INVALID;
  const tokenAud = payload["aud"];
  if (tokenAud !== undefined) {
    if (aud === undefined) return INVALID;
    const list = Array.isArray(tokenAud) ? tokenAud : [tokenAud];
    if (!list.includes(aud)) return INVALID;
  } else if (aud !== undefined) return INVALID;
  return [true, fromJson(layer.header), fromJson(payload)];
}

// ---- signing ----

function signingKey(jwk: Record<string, unknown>, alg: string): KeyObject | Buffer {
  try {
    if (alg.startsWith("HS")) {
      if (typeof jwk["k"] !== "string") throw new Error("no k");
      return Buffer.from(jwk["k"], "base64url");
    }
    return createPrivateKey({ key: jwk as never, format: "jwk" });
  } catch {
    throw new BuiltinError("failed to parse a JWK key (set)");
  }
}

function signCompact(headerText: string, payloadText: string, jwk: Record<string, unknown>): string {
  if (headerText === "") throw new BuiltinError("missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(headerText) as Record<string, unknown>;
  } catch {
    throw new BuiltinError("missing or invalid 'alg' header: cannot parse JSON");
  }
  const alg = header["alg"];
  if (typeof alg !== "string") throw new BuiltinError(`missing or invalid 'alg' header: jwsbb: header "alg" not found`);
  if (!ALGORITHMS.has(alg)) throw new BuiltinError(`unknown JWS algorithm: ${alg}`);
  if (header["typ"] === "JWT") {
    try {
      JSON.parse(payloadText);
    } catch {
      throw new BuiltinError("type is JWT but payload is not JSON");
    }
  }
  const input = `${Buffer.from(headerText, "utf8").toString("base64url")}.${Buffer.from(payloadText, "utf8").toString("base64url")}`;
  const data = Buffer.from(input, "ascii");
  const key = signingKey(jwk, alg);
  const hash = HASHES[alg.slice(2)] as string;
  let sig: Buffer;
  if (alg.startsWith("HS")) sig = createHmac(hash, key as Buffer).update(data).digest();
  else if (alg === "EdDSA") sig = cryptoSign(null, data, key as KeyObject);
  else if (alg.startsWith("RS")) sig = cryptoSign(hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PADDING });
  else if (alg.startsWith("PS")) {
    sig = cryptoSign(hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  } else sig = cryptoSign(hash, data, { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
  return `${input}.${sig.toString("base64url")}`;
}

function jwkOf(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new BuiltinError("failed to parse a JWK key (set)");
}

/** JWT builtins. */
export const jwtBuiltins: BuiltinDef[] = [
  def("io.jwt.decode", 1, (args) => {
    const d = unwrap(str(args, 1)) as Decoded;
    return [fromJson(d.header), fromJson(payloadOf(d)), d.signature.toString("hex")];
  }),
  def("io.jwt.decode_verify", 2, decodeVerify),
  ...["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"].map(verifyBuiltin),
  def("io.jwt.verify_eddsa", 2, (args) => {
    const d = decodeCompact(str(args, 1));
    if (d.header["alg"] !== "EdDSA") return false;
    return verifySignature("EdDSA", d, publicKeys(str(args, 2)), undefined);
  }),
  def("io.jwt.encode_sign", 3, (args) => {
    const header = obj(args, 1);
    const payload = obj(args, 2);
    const key = obj(args, 3);
    return signCompact(goJson(header, "", "", ""), goJson(payload, "", "", ""), jwkOf(goJson(key, "", "", "")));
  }),
  def("io.jwt.encode_sign_raw", 3, (args) => signCompact(str(args, 1), str(args, 2), jwkOf(str(args, 3)))),
];
