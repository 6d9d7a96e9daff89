/**
 * Times between protobuf `Timestamp`s and the database. The database keeps microseconds, so a time is written
 * as ISO text with exactly six fractional digits and read back as integer microseconds (`pecr_epoch_us`); a
 * time with sub-microsecond nanos is refused rather than silently rounded (it could never verify).
 */
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";

/** TimePrecisionError is thrown for a time the database cannot store exactly. */
export class TimePrecisionError extends Error {
  override readonly name = "TimePrecisionError";
}

const MICROS_PER_SECOND = 1_000_000n;

/** Microseconds since the Unix epoch of `ts` (refusing sub-microsecond nanos). */
export function timestampMicros(ts: Timestamp): bigint {
  if (ts.nanos % 1000 !== 0) throw new TimePrecisionError("timestamps must be whole microseconds");
  return ts.seconds * MICROS_PER_SECOND + BigInt(ts.nanos / 1000);
}

/** The `Timestamp` of a microsecond count. */
export function timestampFromMicros(micros: bigint): Timestamp {
  let seconds = micros / MICROS_PER_SECOND;
  let rest = micros % MICROS_PER_SECOND;
  if (rest < 0n) {
    seconds -= 1n;
    rest += MICROS_PER_SECOND;
  }
  return create(TimestampSchema, { seconds, nanos: Number(rest) * 1000 });
}

/** ISO-8601 UTC text with six fractional digits, bound as `${text}::text::timestamptz`. */
export function timestampText(ts: Timestamp): string {
  const micros = timestampMicros(ts);
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const subMillis = Number(micros - millis * 1000n);
  // toISOString prints milliseconds; the three sub-millisecond digits are appended before the `Z`.
  const iso = new Date(Number(millis)).toISOString();
  return `${iso.slice(0, -1)}${String(subMillis).padStart(3, "0")}Z`;
}
