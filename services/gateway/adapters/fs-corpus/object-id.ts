/**
 * Validation of document object ids: `/`-separated paths relative to the corpus root.
 */
import { errors } from "#core/errors/pecr-error.js";

const RELATIVE_PATH_MESSAGE = "object_id must be a relative path without parent components";

/**
 * Splits a well-formed object id into its path segments. Rejected (ERR_INVALID_PARAMS, with the same fixed
 * message for every case): empty ids, absolute paths, empty segments (`a//b`, trailing `/`), `.` and `..`
 * segments, a leading `.` (hidden files), backslashes and NUL bytes (another platform's separator and the C
 * string terminator would let a path mean something else to the filesystem than to us).
 */
export function parseObjectId(objectId: string): string[] {
  if (objectId === "" || objectId.includes("\\") || objectId.includes("\0")) {
    throw errors.invalidParams(RELATIVE_PATH_MESSAGE);
  }
  const segments = objectId.split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === ".." || segment.startsWith(".")) {
      throw errors.invalidParams(RELATIVE_PATH_MESSAGE);
    }
  }
  return segments;
}
