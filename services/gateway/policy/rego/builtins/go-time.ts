/**
 * Go's time layouts (reference time `Mon Jan 2 15:04:05 MST 2006`) for parsing and formatting, civil-time
 * arithmetic on nanosecond timestamps, IANA zone offsets (through Intl) and duration parsing. Written here
 * because the OPA time builtins take Go layouts verbatim, which no JS date library understands.
 */
import { BuiltinError } from "../errors.js";

/** Named layouts accepted by OPA's time builtins. */
export const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
  Kitchen: "3:04PM",
  Stamp: "Jan _2 15:04:05",
  StampMilli: "Jan _2 15:04:05.000",
  StampMicro: "Jan _2 15:04:05.000000",
  StampNano: "Jan _2 15:04:05.000000000",
  DateTime: "2006-01-02 15:04:05",
  DateOnly: "2006-01-02",
  TimeOnly: "15:04:05",
};

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Smallest int64 nanosecond timestamp. */
export const MIN_NS = -(2n ** 63n);
/** Largest int64 nanosecond timestamp. */
export const MAX_NS = 2n ** 63n - 1n;

/** Civil (wall-clock) fields. */
export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** Offset from UTC in seconds. */
  offset: number;
  weekday: number;
  yday: number;
  zoneName: string;
}

/** Splits nanoseconds since the epoch into seconds and nanoseconds (floor). */
function splitNs(ns: bigint): [number, number] {
  let s = ns / 1_000_000_000n;
  let n = ns % 1_000_000_000n;
  if (n < 0n) {
    n += 1_000_000_000n;
    s -= 1n;
  }
  return [Number(s), Number(n)];
}

/** Civil fields of an instant at a fixed offset. */
export function civilAt(ns: bigint, offset: number, zoneName = ""): Civil {
  const [secs, nanos] = splitNs(ns);
  const d = new Date((secs + offset) * 1000);
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    nanos,
    offset,
    weekday: d.getUTCDay(),
    yday: Math.floor((d.getTime() - startOfYear) / 86_400_000) + 1,
    zoneName,
  };
}

/** Nanoseconds since the epoch of civil fields at an offset. */
export function civilToNs(c: { year: number; month: number; day: number; hour: number; minute: number; second: number; nanos: number }, offset: number): bigint {
  const date = new Date(0);
  date.setUTCFullYear(c.year, c.month - 1, c.day);
  date.setUTCHours(c.hour, c.minute, c.second, 0);
  const secs = BigInt(Math.round(date.getTime() / 1000)) - BigInt(offset);
  return secs * 1_000_000_000n + BigInt(c.nanos);
}

/** Offsets of IANA zones, through Intl (the formatters are cached per zone by the caller's resolver). */
export function createZoneResolver(): (zone: string, ns: bigint) => { offset: number; name: string } {
  const formatters = new Map<string, Intl.DateTimeFormat>();
  return (zone, ns) => {
    if (zone === "" || zone === "UTC") return { offset: 0, name: "UTC" };
    if (zone === "Local") return { offset: 0, name: "UTC" };
    let f = formatters.get(zone);
    if (f === undefined) {
      try {
        f = new Intl.DateTimeFormat("en-US", {
          timeZone: zone,
          hourCycle: "h23",
          year: "numeric",
          month: "numeric",
          day: "numeric",
          hour: "numeric",
          minute: "numeric",
          second: "numeric",
          timeZoneName: "short",
        });
      } catch {
        throw new BuiltinError(`unknown time zone ${zone}`);
      }
      formatters.set(zone, f);
    }
    const [secs] = splitNs(ns);
    const parts = f.formatToParts(new Date(secs * 1000));
    const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
    const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    const name = parts.find((p) => p.type === "timeZoneName")?.value ?? zone;
    return { offset: Math.round((wall - secs * 1000) / 1000), name };
  };
}

/** Layout chunks, longest first where prefixes overlap. */
const CHUNKS = [
  "January", "Jan", "Monday", "Mon", "MST",
  "2006", "Z07:00:00", "-07:00:00", "Z070000", "-070000", "Z07:00", "-07:00", "Z0700", "-0700", "Z07", "-07",
  "002", "__2", "_2", "01", "02", "03", "04", "05", "06", "15", "PM", "pm",
  "1", "2", "3", "4", "5",
];

type Token = { lit: string } | { chunk: string } | { frac: string };

function tokenizeLayout(layout: string): Token[] {
  const out: Token[] = [];
  let lit = "";
  for (let i = 0; i < layout.length; ) {
    if ((layout[i] === "." || layout[i] === ",") && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
      const digit = layout[i + 1] as string;
      let j = i + 1;
      while (layout[j] === digit) j++;
      if (!/[0-9]/.test(layout[j] ?? "")) {
        if (lit !== "") out.push({ lit }), (lit = "");
        out.push({ frac: layout.slice(i, j) });
        i = j;
        continue;
      }
    }
    const chunk = CHUNKS.find((c) => layout.startsWith(c, i));
    if (chunk !== undefined) {
      if (lit !== "") out.push({ lit }), (lit = "");
      out.push({ chunk });
      i += chunk.length;
      continue;
    }
    lit += layout[i];
    i++;
  }
  if (lit !== "") out.push({ lit });
  return out;
}

const pad = (n: number, w: number, c = "0"): string => String(n).padStart(w, c);

function formatOffset(offset: number, chunk: string): string {
  if (offset === 0 && chunk.startsWith("Z")) return "Z";
  const sign = offset < 0 ? "-" : "+";
  const a = Math.abs(offset);
  const h = pad(Math.floor(a / 3600), 2);
  const m = pad(Math.floor((a % 3600) / 60), 2);
  const s = pad(a % 60, 2);
  const base = chunk.replace(/^Z/, "-");
  switch (base) {
    case "-07":
      return sign + h;
    case "-0700":
      return sign + h + m;
    case "-07:00":
      return `${sign}${h}:${m}`;
    case "-070000":
      return sign + h + m + s;
    default:
      return `${sign}${h}:${m}:${s}`;
  }
}

/** Formats civil time with a Go layout. */
export function formatLayout(c: Civil, layout: string): string {
  let out = "";
  for (const t of tokenizeLayout(NAMED_LAYOUTS[layout] ?? layout)) {
    if ("lit" in t) {
      out += t.lit;
      continue;
    }
    if ("frac" in t) {
      const digits = t.frac.length - 1;
      let f = pad(c.nanos, 9).slice(0, digits);
      if (t.frac[1] === "9") {
        f = f.replace(/0+$/, "");
        if (f !== "") out += t.frac[0] + f;
      } else out += t.frac[0] + f;
      continue;
    }
    const h12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
    switch (t.chunk) {
      case "2006":
        out += pad(c.year, 4);
        break;
      case "06":
        out += pad(c.year % 100, 2);
        break;
      case "January":
        out += MONTHS[c.month - 1];
        break;
      case "Jan":
        out += (MONTHS[c.month - 1] as string).slice(0, 3);
        break;
      case "01":
        out += pad(c.month, 2);
        break;
      case "1":
        out += String(c.month);
        break;
      case "Monday":
        out += DAYS[c.weekday];
        break;
      case "Mon":
        out += (DAYS[c.weekday] as string).slice(0, 3);
        break;
      case "02":
        out += pad(c.day, 2);
        break;
      case "_2":
        out += pad(c.day, 2, " ");
        break;
      case "2":
        out += String(c.day);
        break;
      case "002":
        out += pad(c.yday, 3);
        break;
      case "__2":
        out += pad(c.yday, 3, " ");
        break;
      case "15":
        out += pad(c.hour, 2);
        break;
      case "03":
        out += pad(h12, 2);
        break;
      case "3":
        out += String(h12);
        break;
      case "04":
        out += pad(c.minute, 2);
        break;
      case "4":
        out += String(c.minute);
        break;
      case "05":
        out += pad(c.second, 2);
        break;
      case "5":
        out += String(c.second);
        break;
      case "PM":
        out += c.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += c.hour >= 12 ? "pm" : "am";
        break;
      case "MST":
        out += c.zoneName !== "" ? c.zoneName : formatOffset(c.offset, "-0700");
        break;
      default:
        out += formatOffset(c.offset, t.chunk);
    }
  }
  return out;
}

/** Parses `value` with a Go layout; returns nanoseconds since the epoch. */
export function parseLayout(layout: string, value: string): bigint {
  const tokens = tokenizeLayout(NAMED_LAYOUTS[layout] ?? layout);
  const c = { year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: 0 };
  let offset = 0;
  let pm: boolean | undefined;
  let i = 0;
  const fail = (): never => {
    throw new BuiltinError(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse`);
  };
  const digits = (min: number, max: number): number => {
    let j = i;
    while (j < value.length && j - i < max && /[0-9]/.test(value[j] as string)) j++;
    if (j - i < min) fail();
    const n = Number(value.slice(i, j));
    i = j;
    return n;
  };
  const word = (list: string[], len?: number): number => {
    for (let k = 0; k < list.length; k++) {
      const w = len === undefined ? (list[k] as string) : (list[k] as string).slice(0, len);
      if (value.slice(i, i + w.length).toLowerCase() === w.toLowerCase()) {
        i += w.length;
        return k;
      }
    }
    return fail();
  };
  for (const [idx, t] of tokens.entries()) {
    if ("lit" in t) {
      if (!value.startsWith(t.lit, i)) fail();
      i += t.lit.length;
      continue;
    }
    if ("frac" in t) {
      if (value[i] === "." || value[i] === ",") {
        i++;
        const start = i;
        while (i < value.length && /[0-9]/.test(value[i] as string)) i++;
        c.nanos = Number((value.slice(start, i) + "000000000").slice(0, 9));
      } else if (t.frac[1] === "0") fail();
      continue;
    }
    switch (t.chunk) {
      case "2006":
        c.year = digits(4, 4);
        break;
      case "06": {
        const y = digits(2, 2);
        c.year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case "January":
        c.month = word(MONTHS) + 1;
        break;
      case "Jan":
        c.month = word(MONTHS, 3) + 1;
        break;
      case "01":
        c.month = digits(2, 2);
        break;
      case "1":
        c.month = digits(1, 2);
        break;
      case "Monday":
        word(DAYS);
        break;
      case "Mon":
        word(DAYS, 3);
        break;
      case "02":
        c.day = digits(2, 2);
        break;
      case "_2":
        if (value[i] === " ") i++;
        c.day = digits(1, 2);
        break;
      case "2":
        c.day = digits(1, 2);
        break;
      case "002":
      case "__2":
        digits(1, 3);
        break;
      case "15":
        c.hour = digits(1, 2);
        break;
      case "03":
        c.hour = digits(2, 2);
        break;
      case "3":
        c.hour = digits(1, 2);
        break;
      case "04":
        c.minute = digits(2, 2);
        break;
      case "4":
        c.minute = digits(1, 2);
        break;
      case "05":
      case "5": {
        c.second = t.chunk === "05" ? digits(2, 2) : digits(1, 2);
        // Go accepts a fractional second after the seconds field even when the layout has none.
        const next = tokens[idx + 1];
        if ((value[i] === "." || value[i] === ",") && /[0-9]/.test(value[i + 1] ?? "") && !(next !== undefined && "frac" in next)) {
          i++;
          const start = i;
          while (i < value.length && /[0-9]/.test(value[i] as string)) i++;
          c.nanos = Number((value.slice(start, i) + "000000000").slice(0, 9));
        }
        break;
      }
      case "PM":
      case "pm": {
        const s = value.slice(i, i + 2).toUpperCase();
        if (s !== "AM" && s !== "PM") fail();
        pm = s === "PM";
        i += 2;
        break;
      }
      case "MST": {
        const m = /^[A-Z]{3,5}|^[+-]\d{2,4}/.exec(value.slice(i));
        if (m === null) fail();
        i += (m as RegExpExecArray)[0].length;
        break;
      }
      default: {
        if (t.chunk.startsWith("Z") && value[i] === "Z") {
          i++;
          offset = 0;
          break;
        }
        const sign = value[i];
        if (sign !== "+" && sign !== "-") fail();
        i++;
        const h = digits(2, 2);
        let m = 0;
        let s = 0;
        const base = t.chunk.replace(/^Z/, "-");
        if (base === "-07:00" || base === "-07:00:00") {
          if (value[i] !== ":") fail();
          i++;
          m = digits(2, 2);
          if (base === "-07:00:00") {
            if (value[i] !== ":") fail();
            i++;
            s = digits(2, 2);
          }
        } else if (base === "-0700" || base === "-070000") {
          m = digits(2, 2);
          if (base === "-070000") s = digits(2, 2);
        }
        offset = (sign === "-" ? -1 : 1) * (h * 3600 + m * 60 + s);
      }
    }
  }
  if (i !== value.length) {
    throw new BuiltinError(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(value.slice(i))}`);
  }
  if (pm !== undefined) {
    if (c.hour > 12) fail();
    if (pm && c.hour < 12) c.hour += 12;
    if (!pm && c.hour === 12) c.hour = 0;
  }
  const maxDay = new Date(Date.UTC(2000, c.month, 0)).getUTCDate();
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > (c.month === 2 ? (isLeap(c.year) ? 29 : 28) : maxDay)) {
    throw new BuiltinError(`parsing time ${JSON.stringify(value)}: day out of range`);
  }
  if (c.hour > 23 || c.minute > 59 || c.second > 59) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: hour out of range`);
  return civilToNs(c, offset);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  "µs": 1000n,
  "μs": 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseDuration(s: string): bigint {
  const bad = (): never => {
    throw new BuiltinError(`time: invalid duration ${JSON.stringify(s)}`);
  };
  let rest = s;
  let neg = false;
  if (rest[0] === "-" || rest[0] === "+") {
    neg = rest[0] === "-";
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") bad();
  let total = 0n;
  while (rest !== "") {
    const m = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/.exec(rest);
    if (m === null || ((m[1] ?? "") === "" && (m[2] ?? "") === "")) return bad();
    const unit = DURATION_UNITS[m[3] as string];
    if (unit === undefined) throw new BuiltinError(`time: unknown unit ${JSON.stringify(m[3])} in duration ${JSON.stringify(s)}`);
    const whole = BigInt(m[1] || "0") * unit;
    const frac = m[2] ?? "";
    const fracPart = frac === "" ? 0n : (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += whole + fracPart;
    rest = rest.slice(m[0].length);
  }
  return neg ? -total : total;
}
