/**
 * Hash builtins over node:crypto: crypto.md5/sha1/sha256, crypto.hmac.md5/sha1/sha256/sha512 (hex), and
 * crypto.hmac.equal (constant-time comparison).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { str } from "./args.js";
import { def, type BuiltinDef } from "./types.js";

const hash = (name: string, algorithm: string): BuiltinDef =>
  def(name, 1, (args) => createHash(algorithm).update(str(args, 1), "utf8").digest("hex"));

const hmac = (name: string, algorithm: string): BuiltinDef =>
  def(name, 2, (args) => createHmac(algorithm, Buffer.from(str(args, 2), "utf8")).update(str(args, 1), "utf8").digest("hex"));

/** Hash builtins. */
export const cryptoBuiltins: BuiltinDef[] = [
  hash("crypto.md5", "md5"),
  hash("crypto.sha1", "sha1"),
  hash("crypto.sha256", "sha256"),
  hmac("crypto.hmac.md5", "md5"),
  hmac("crypto.hmac.sha1", "sha1"),
  hmac("crypto.hmac.sha256", "sha256"),
  hmac("crypto.hmac.sha512", "sha512"),
  def("crypto.hmac.equal", 2, (args) => {
    const a = Buffer.from(str(args, 1), "utf8");
    const b = Buffer.from(str(args, 2), "utf8");
    return a.length === b.length && timingSafeEqual(a, b);
  }),
];
