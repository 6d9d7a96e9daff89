/**
 * Secret comparison whose duration does not depend on where the inputs differ or on their lengths.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in constant time. Both are hashed first so the compared buffers always have the same
 * length (`timingSafeEqual` throws on different lengths, and a length check would itself leak the length).
 */
export function constantTimeEqual(provided: string, expected: string): boolean {
  const a = createHash("sha256").update(provided, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
