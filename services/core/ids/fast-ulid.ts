/**
 * ULID generation (48-bit millisecond time + 80 random bits, Crockford base32). The `ulid` package draws one
 * `getRandomValues` call per character, which showed up as several percent of the gateway's CPU in profiles (a
 * call writes several events, each with a ULID id); this draws random bytes from a pooled buffer refilled 4 KiB at a
 * time. Parsing and validation stay with the `ulid` package.
 */
import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

function randomBytes16(): Buffer {
  if (offset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  return bytes;
}

/** A new ULID for time `nowMs` (default now). */
export function fastUlid(nowMs: number = Date.now()): string {
  let time = Math.floor(nowMs);
  const chars = new Array<string>(26);
  for (let i = 9; i >= 0; i--) {
    chars[i] = ALPHABET[time % 32]!;
    time = Math.floor(time / 32);
  }
  // 80 random bits = 16 characters of 5 bits; one random byte per character keeps it simple (top 3 bits unused).
  const random = randomBytes16();
  for (let i = 0; i < 16; i++) chars[10 + i] = ALPHABET[random[i]! & 31]!;
  return chars.join("");
}
