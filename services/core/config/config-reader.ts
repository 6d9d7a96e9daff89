/**
 * A small typed reader over a ConfigSource, shared by both services' config parsers so every variable follows
 * the same rules (reference §2.1): values are trimmed; an empty value means "use the default"; booleans are
 * `1|true|TRUE|yes|YES` or `0|false|FALSE|no|NO`; an unparsable or out-of-range value is ERR_INVALID_CONFIG and
 * a missing required one ERR_MISSING_CONFIG. Error messages name the variable, never its value (it may be a
 * secret).
 */
import type { ConfigSource } from "./config-source.js";
import { StartupError } from "./startup-error.js";

/** Inclusive bounds for a numeric variable. */
export interface NumericRange {
  /** Smallest accepted value. */
  readonly min?: number;
  /** Largest accepted value. */
  readonly max?: number;
}

/** A parsed `host:port` bind address. */
export interface HostPort {
  /** Host name or IP, without IPv6 brackets. */
  readonly host: string;
  /** Port, 0..65535 (0 lets the OS choose). */
  readonly port: number;
}

/** Typed accessors over raw configuration values. */
export interface ConfigReader {
  /** The raw values read. */
  readonly source: ConfigSource;
  /** A trimmed string; unset or empty gives `defaultValue`. */
  string(key: string, defaultValue: string): string;
  /** A trimmed string; unset or empty gives undefined. */
  optionalString(key: string): string | undefined;
  /** A trimmed, non-empty string; otherwise ERR_MISSING_CONFIG. */
  requiredString(key: string): string;
  /** A safe integer within `range`; unset or empty gives `defaultValue`. */
  integer(key: string, defaultValue: number, range?: NumericRange): number;
  /** A finite number within `range`; unset or empty gives `defaultValue`. */
  number(key: string, defaultValue: number, range?: NumericRange): number;
  /** A boolean; unset or empty gives `defaultValue`. */
  boolean(key: string, defaultValue: boolean): boolean;
  /** One of `allowed`; unset or empty gives `defaultValue`. */
  oneOf<T extends string>(key: string, allowed: readonly T[], defaultValue: T): T;
  /** A `host:port` (IPv6 as `[addr]:port`); unset or empty parses `defaultValue`. */
  hostPort(key: string, defaultValue: string): HostPort;
}

const TRUE_VALUES = new Set(["1", "true", "TRUE", "yes", "YES"]);
const FALSE_VALUES = new Set(["0", "false", "FALSE", "no", "NO"]);
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function invalid(message: string): StartupError {
  return new StartupError("ERR_INVALID_CONFIG", message);
}

function checkRange(key: string, value: number, range: NumericRange | undefined): number {
  if (range?.min !== undefined && value < range.min) throw invalid(`${key} must be at least ${range.min}`);
  if (range?.max !== undefined && value > range.max) throw invalid(`${key} must be at most ${range.max}`);
  return value;
}

/** Parses `host:port` or `[v6]:port`; throws ERR_INVALID_CONFIG naming `key`. */
export function parseHostPort(key: string, value: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port > 65535) throw invalid(`${key} must be host:port`);
  return { host, port };
}

/** Creates a reader over `source` (see `loadConfigSource`). */
export function createConfigReader(source: ConfigSource): ConfigReader {
  const raw = (key: string): string | undefined => {
    const value = source[key]?.trim();
    return value === "" ? undefined : value;
  };
  return {
    source,
    string: (key, defaultValue) => raw(key) ?? defaultValue,
    optionalString: (key) => raw(key),
    requiredString(key) {
      const value = raw(key);
      if (value === undefined) throw new StartupError("ERR_MISSING_CONFIG", `${key} is required`);
      return value;
    },
    integer(key, defaultValue, range) {
      const value = raw(key);
      if (value === undefined) return defaultValue;
      const parsed = Number(value);
      if (!INTEGER.test(value) || !Number.isSafeInteger(parsed)) throw invalid(`${key} must be an integer`);
      return checkRange(key, parsed, range);
    },
    number(key, defaultValue, range) {
      const value = raw(key);
      if (value === undefined) return defaultValue;
      const parsed = Number(value);
      if (!DECIMAL.test(value) || !Number.isFinite(parsed)) throw invalid(`${key} must be a number`);
      return checkRange(key, parsed, range);
    },
    boolean(key, defaultValue) {
      const value = raw(key);
      if (value === undefined) return defaultValue;
      if (TRUE_VALUES.has(value)) return true;
      if (FALSE_VALUES.has(value)) return false;
      // The original silently fell back to the default here; a typo in a security switch such as
      // PECR_METRICS_REQUIRE_AUTH must not pass unnoticed, so we fail closed at startup instead.
      throw invalid(`${key} must be one of 1, true, yes, 0, false, no`);
    },
    oneOf(key, allowed, defaultValue) {
      const value = raw(key);
      if (value === undefined) return defaultValue;
      const found = allowed.find((candidate) => candidate === value);
      if (found === undefined) throw invalid(`${key} must be one of ${allowed.join(", ")}`);
      return found;
    },
    hostPort: (key, defaultValue) => parseHostPort(key, raw(key) ?? defaultValue),
  };
}
