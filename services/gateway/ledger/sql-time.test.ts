import test from "ava";
import fc from "fast-check";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { timestampFromMicros, timestampMicros, timestampText, TimePrecisionError } from "./sql-time.js";

test("times are written as ISO text with six fractional digits", (t) => {
  t.is(timestampText(create(TimestampSchema, { seconds: 1_767_225_600n, nanos: 123_456_000 })), "2026-01-01T00:00:00.123456Z");
  t.is(timestampText(create(TimestampSchema, { seconds: 0n, nanos: 0 })), "1970-01-01T00:00:00.000000Z");
  t.is(timestampText(create(TimestampSchema, { seconds: -1n, nanos: 999_999_000 })), "1969-12-31T23:59:59.999999Z");
});

test("microsecond counts and timestamps convert both ways", (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }), (micros) => {
      const ts = timestampFromMicros(micros);
      return timestampMicros(ts) === micros && ts.nanos >= 0 && ts.nanos < 1_000_000_000;
    }),
  );
  t.pass();
});

test("sub-microsecond nanos are refused", (t) => {
  t.throws(() => timestampMicros(create(TimestampSchema, { seconds: 1n, nanos: 1 })), { instanceOf: TimePrecisionError });
});
