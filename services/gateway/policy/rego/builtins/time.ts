/**
 * Time builtins: time.now_ns, parse_ns, parse_rfc3339_ns, parse_duration_ns, date, clock, weekday, add_date,
 * diff, format; plus test.sleep (OPA's testing builtin). Timestamps are int64 nanoseconds, as in OPA.
 */
import { BuiltinError } from "../errors.js";
import { isInteger, normInt, toBigInt, type Num, type Value } from "../value.js";
import { str } from "./args.js";
import {
  civilAt,
  civilToNs,
  createZoneResolver,
  formatLayout,
  MAX_NS,
  MIN_NS,
  parseDuration,
  parseLayout,
  type Civil,
} from "./go-time.js";
import { def, operandError, type BuiltinDef } from "./types.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function checkRange(ns: bigint): bigint {
  if (ns < MIN_NS || ns > MAX_NS) throw new BuiltinError("time outside of valid range");
  return ns;
}

function nsOf(v: Value): bigint {
  if (typeof v !== "number" && typeof v !== "bigint") throw operandError(1, "number", v);
  const b = isInteger(v) ? (toBigInt(v) as bigint) : BigInt(Math.trunc(v as number));
  if (b < MIN_NS || b > MAX_NS) throw new BuiltinError("timestamp too big");
  return b;
}

/** Creates the time builtins (with a zone-offset resolver owned by the registry). */
export function timeBuiltins(): BuiltinDef[] {
  const zoneOf = createZoneResolver();

  /** `ns` or `[ns, zone]` or `[ns, zone, layout]` → civil time in that zone. */
  const civilArg = (v: Value): { civil: Civil; layout: string | undefined; zone: string } => {
    let ns: bigint;
    let zone = "UTC";
    let layout: string | undefined;
    if (Array.isArray(v)) {
      if (v.length < 1 || v.length > 3) throw new BuiltinError("array must have 1 to 3 elements");
      ns = nsOf(v[0] as Value);
      if (v.length > 1) {
        if (typeof v[1] !== "string") throw new BuiltinError("timezone must be a string");
        zone = v[1];
      }
      if (v.length > 2) {
        if (typeof v[2] !== "string") throw new BuiltinError("layout must be a string");
        layout = v[2];
      }
    } else ns = nsOf(v);
    const { offset, name } = zoneOf(zone, ns);
    return { civil: civilAt(ns, offset, name), layout, zone };
  };

  return [
    def("time.now_ns", 0, (_args, ctx) => normInt(ctx.nowNs)),
    def("time.parse_ns", 2, (args) => normInt(checkRange(parseLayout(str(args, 1), str(args, 2))))),
    def("time.parse_rfc3339_ns", 1, (args) => normInt(checkRange(parseLayout("RFC3339", str(args, 1))))),
    def("time.parse_duration_ns", 1, (args) => normInt(parseDuration(str(args, 1)))),
    def("time.date", 1, ([v]) => {
      const { civil } = civilArg(v as Value);
      return [civil.year, civil.month, civil.day];
    }),
    def("time.clock", 1, ([v]) => {
      const { civil } = civilArg(v as Value);
      return [civil.hour, civil.minute, civil.second];
    }),
    def("time.weekday", 1, ([v]) => DAYS[civilArg(v as Value).civil.weekday] as string),
    def("time.format", 1, ([v]) => {
      const { civil, layout } = civilArg(v as Value);
      return formatLayout(civil, layout ?? "RFC3339Nano");
    }),
    def("time.add_date", 4, (args) => {
      const ns = nsOf(args[0] as Value);
      const [y, m, d] = [args[1], args[2], args[3]].map((x, i) => {
        if (!isInteger(x as Value)) throw operandError(i + 2, "integer number", x as Value);
        return Number(x as Num);
      }) as [number, number, number];
      const c = civilAt(ns, 0);
      return normInt(checkRange(civilToNs({ ...c, year: c.year + y, month: c.month + m, day: c.day + d }, 0)));
    }),
    def("time.diff", 2, ([a, b]) => {
      const x = civilArg(a as Value);
      const y = civilArg(b as Value);
      let t1ns = civilToNs(x.civil, x.civil.offset);
      let t2ns = civilToNs(y.civil, y.civil.offset);
      const zone = x.zone;
      if (t1ns > t2ns) [t1ns, t2ns] = [t2ns, t1ns];
      const c1 = civilAt(t1ns, zoneOf(zone, t1ns).offset);
      const c2 = civilAt(t2ns, zoneOf(zone, t2ns).offset);
      let year = c2.year - c1.year;
      let month = c2.month - c1.month;
      let day = c2.day - c1.day;
      let hour = c2.hour - c1.hour;
      let min = c2.minute - c1.minute;
      let sec = c2.second - c1.second;
      if (sec < 0) {
        sec += 60;
        min--;
      }
      if (min < 0) {
        min += 60;
        hour--;
      }
      if (hour < 0) {
        hour += 24;
        day--;
      }
      if (day < 0) {
        // Days in c1's month: day 32 of it normalises into the next month.
        const overflow = new Date(Date.UTC(c1.year, c1.month - 1, 32)).getUTCDate();
        day += 32 - overflow;
        month--;
      }
      if (month < 0) {
        month += 12;
        year--;
      }
      return [year, month, day, hour, min, sec];
    }),
    def("test.sleep", 1, (args) => {
      const ns = parseDuration(str(args, 1));
      const ms = Number(ns / 1_000_000n);
      if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      return null;
    }),
  ];
}
