/**
 * The Rego value model. Scalars are JS primitives (null, boolean, number, string; integers beyond the safe
 * range are bigint so arithmetic on them stays exact, as OPA's arbitrary-precision numbers do), arrays are
 * plain arrays, and objects and sets are the two classes below, whose keys may be any value. Values are
 * immutable once built: builders fill an object or set, then hand it out.
 */

/** Any Rego value. */
export type Value = null | boolean | number | bigint | string | Value[] | RObject | RSet;

/** A Rego number. */
export type Num = number | bigint;

/** Scalars usable directly as JS Map keys. */
type Prim = null | boolean | number | bigint | string;

/** The kind of a value, in OPA's total order (null < boolean < number < string < array < object < set). */
export const enum Kind {
  Null = 0,
  Boolean = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
  Set = 6,
}

/** Returns the kind of `v`. */
export function kindOf(v: Value): Kind {
  switch (typeof v) {
    case "string":
      return Kind.String;
    case "number":
    case "bigint":
      return Kind.Number;
    case "boolean":
      return Kind.Boolean;
    default:
      if (v === null) return Kind.Null;
      if (Array.isArray(v)) return Kind.Array;
      return v instanceof RObject ? Kind.Object : Kind.Set;
  }
}

const KIND_NAMES = ["null", "boolean", "number", "string", "array", "object", "set"] as const;

/** OPA's type name of a value (`type_name`, error messages). */
export function typeName(v: Value): string {
  return KIND_NAMES[kindOf(v)];
}

/**
 * Map key of a value: scalars stand for themselves (integral numbers outside the safe range become bigint,
 * so 1e20 and 100000000000000000000 collide as OPA's numeric equality demands); composites use their
 * canonical text. Composite keys never collide with string keys because they live in separate maps.
 */
export function hashKey(v: Value): Prim {
  switch (typeof v) {
    case "number":
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) return BigInt(v);
      return v === 0 ? 0 : v;
    case "bigint":
      return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v;
    case "string":
    case "boolean":
      return v;
    default:
      return v === null ? null : canonicalText(v);
  }
}

/** Canonical text of a composite, used as its hash key (objects and sets cache theirs: they are immutable). */
function canonicalText(v: Value[] | RObject | RSet): string {
  if (Array.isArray(v)) return "[" + v.map(keyText).join(",") + "]";
  return v.canonical();
}

function keyText(v: Value): string {
  const k = hashKey(v);
  switch (typeof k) {
    case "string":
      return typeof v === "string" ? JSON.stringify(v) : k;
    case "bigint":
      return k.toString();
    default:
      return String(k);
  }
}

/** An object whose keys may be any value; iterates in OPA's sorted key order. */
export class RObject {
  private readonly strs = new Map<string, Value>();
  private others: Map<Prim, [Value, Value]> | undefined;
  private sorted: [Value, Value][] | undefined;
  private canon: string | undefined;

  /** Canonical text (hash key when this object is itself a key or set element). */
  canonical(): string {
    return (this.canon ??= "{" + this.entries().map(([k, x]) => keyText(k) + ":" + keyText(x)).join(",") + "}");
  }

  /** Number of entries. */
  get size(): number {
    return this.strs.size + (this.others?.size ?? 0);
  }

  /** The value at `key`, or undefined. */
  get(key: Value): Value | undefined {
    if (typeof key === "string") return this.strs.get(key);
    return this.others?.get(hashKey(key))?.[1];
  }

  /** The value at a string key (fast path for refs). */
  getStr(key: string): Value | undefined {
    return this.strs.get(key);
  }

  /** Whether `key` is present. */
  has(key: Value): boolean {
    if (typeof key === "string") return this.strs.has(key);
    return this.others?.has(hashKey(key)) ?? false;
  }

  /** Sets `key` (builders only: objects are immutable once shared). */
  set(key: Value, value: Value): this {
    this.sorted = undefined;
    this.canon = undefined;
    if (typeof key === "string") {
      this.strs.set(key, value);
    } else {
      (this.others ??= new Map()).set(hashKey(key), [key, value]);
    }
    return this;
  }

  /** Sets a string key (builders only; the fast path of JSON conversion). */
  setString(key: string, value: Value): void {
    this.strs.set(key, value);
  }

  /** Removes `key` (builders only). */
  delete(key: Value): void {
    this.sorted = undefined;
    this.canon = undefined;
    if (typeof key === "string") this.strs.delete(key);
    else this.others?.delete(hashKey(key));
  }

  /** Entries in sorted key order (cached). */
  entries(): [Value, Value][] {
    if (this.sorted === undefined) {
      const out: [Value, Value][] = [];
      if (this.others !== undefined) for (const e of this.others.values()) out.push([e[0], e[1]]);
      const strKeys = [...this.strs.keys()].sort(compareStrings);
      const strEntries: [Value, Value][] = strKeys.map((k) => [k, this.strs.get(k) as Value]);
      if (out.length === 0) {
        this.sorted = strEntries;
      } else {
        out.push(...strEntries);
        out.sort((a, b) => compareValues(a[0], b[0]));
        this.sorted = out;
      }
    }
    return this.sorted;
  }

  /** Keys in sorted order. */
  keys(): Value[] {
    return this.entries().map((e) => e[0]);
  }

  /** Whether every key is a string (true for all JSON-born objects). */
  hasOnlyStringKeys(): boolean {
    return this.others === undefined || this.others.size === 0;
  }

  /** Builds an object from entries. */
  static from(entries: Iterable<readonly [Value, Value]>): RObject {
    const o = new RObject();
    for (const [k, v] of entries) o.set(k, v);
    return o;
  }
}

/** A set of values; iterates in OPA's sorted order. */
export class RSet {
  private readonly strs = new Set<string>();
  private others: Map<Prim, Value> | undefined;
  private sorted: Value[] | undefined;
  private canon: string | undefined;

  /** Canonical text (hash key when this set is itself a key or set element). */
  canonical(): string {
    return (this.canon ??= "<" + this.values().map(keyText).join(",") + ">");
  }

  /** Number of elements. */
  get size(): number {
    return this.strs.size + (this.others?.size ?? 0);
  }

  /** Whether `v` is an element. */
  has(v: Value): boolean {
    if (typeof v === "string") return this.strs.has(v);
    return this.others?.has(hashKey(v)) ?? false;
  }

  /** Adds `v` (builders only). Returns false when it was already present. */
  add(v: Value): boolean {
    if (typeof v === "string") {
      if (this.strs.has(v)) return false;
      this.strs.add(v);
    } else {
      const k = hashKey(v);
      this.others ??= new Map();
      if (this.others.has(k)) return false;
      this.others.set(k, v);
    }
    this.sorted = undefined;
    this.canon = undefined;
    return true;
  }

  /** Elements in sorted order (cached). */
  values(): Value[] {
    if (this.sorted === undefined) {
      const out: Value[] = this.others === undefined ? [] : [...this.others.values()];
      const strs = [...this.strs].sort(compareStrings);
      if (out.length === 0) {
        this.sorted = strs;
      } else {
        out.push(...strs);
        out.sort(compareValues);
        this.sorted = out;
      }
    }
    return this.sorted;
  }

  /** Builds a set from values. */
  static from(values: Iterable<Value>): RSet {
    const s = new RSet();
    for (const v of values) s.add(v);
    return s;
  }
}

/**
 * Compares strings by code point (Go compares UTF-8 bytes, which orders like code points). JS `<` compares
 * UTF-16 code units, which differs only when a surrogate pair meets a character in U+E000..U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        const cx = a.codePointAt(i) as number;
        const cy = b.codePointAt(i) as number;
        return cx < cy ? -1 : 1;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

/** Compares two numbers exactly (number and bigint may mix). */
export function compareNumbers(a: Num, b: Num): number {
  if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "number" && !Number.isFinite(a)) return a < 0 ? -1 : 1;
  if (typeof b === "number" && !Number.isFinite(b)) return b < 0 ? 1 : -1;
  // JS compares a bigint with a number by exact mathematical value.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** OPA's total order over values. */
export function compareValues(a: Value, b: Value): number {
  if (a === b) return 0;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  switch (ka) {
    case Kind.Null:
      return 0;
    case Kind.Boolean:
      return a === b ? 0 : a === false ? -1 : 1;
    case Kind.Number:
      return compareNumbers(a as Num, b as Num);
    case Kind.String:
      return compareStrings(a as string, b as string);
    case Kind.Array: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case Kind.Object: {
      const x = (a as RObject).entries();
      const y = (b as RObject).entries();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const ex = x[i] as [Value, Value];
        const ey = y[i] as [Value, Value];
        const ck = compareValues(ex[0], ey[0]);
        if (ck !== 0) return ck;
        const cv = compareValues(ex[1], ey[1]);
        if (cv !== 0) return cv;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    default: {
      const x = (a as RSet).values();
      const y = (b as RSet).values();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
  }
}

/** Value equality (numbers compare by value, composites structurally). */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== "object" || tb !== "object") {
    // number/bigint mix compares mathematically; every other pair differs.
    // eslint-disable-next-line eqeqeq
    return (ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint") && a == b;
  }
  if (a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i] as Value, b[i] as Value)) return false;
    return true;
  }
  if (a instanceof RObject) {
    if (!(b instanceof RObject) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      const w = b.get(k);
      if (w === undefined || !valuesEqual(v, w)) return false;
    }
    return true;
  }
  if (!(b instanceof RSet) || (a as RSet).size !== b.size) return false;
  for (const v of (a as RSet).values()) if (!b.has(v)) return false;
  return true;
}

/** Whether `v` is an integer number. */
export function isInteger(v: Value): v is Num {
  return typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
}

/** Normalises an integer result: bigint only outside the safe range. */
export function normInt(v: bigint): Num {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Converts a number to a JS number (bigints beyond float range become ±Infinity). */
export function toFloat(v: Num): number {
  return typeof v === "number" ? v : Number(v);
}

/** Converts an integer number to bigint; undefined when it is not an integer. */
export function toBigInt(v: Num): bigint | undefined {
  if (typeof v === "bigint") return v;
  return Number.isInteger(v) ? BigInt(v) : undefined;
}

/** The elements of a collection as [key, value] pairs, in iteration order; undefined for scalars. */
export function collectionEntries(v: Value): [Value, Value][] | undefined {
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (v instanceof RObject) return v.entries();
  if (v instanceof RSet) return v.values().map((x) => [x, x]);
  return undefined;
}

/** Looks up `key` in a collection as a ref step does (arrays by integer index, sets by membership). */
export function lookup(v: Value, key: Value): Value | undefined {
  if (v instanceof RObject) return v.get(key);
  if (Array.isArray(v)) {
    if (typeof key === "number") return Number.isInteger(key) ? v[key] : undefined;
    return undefined;
  }
  if (v instanceof RSet) return v.has(key) ? key : undefined;
  return undefined;
}
