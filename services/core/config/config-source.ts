/**
 * Where configuration comes from: environment variables, optionally merged over a `KEY=VALUE` file named by
 * `PECR_CONFIG_PATH` (reference §2.1 "Loading rules"). The environment always wins over the file.
 */
import { readFileSync } from "node:fs";
import { StartupError } from "./startup-error.js";

/** Raw configuration values by variable name, as read (before typing). */
export type ConfigSource = Readonly<Record<string, string | undefined>>;

/** The variable naming the optional configuration file. */
export const CONFIG_PATH_VARIABLE = "PECR_CONFIG_PATH";

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a `KEY=VALUE` file: lines are trimmed, blank lines and lines starting with `#` are skipped, key and
 * value are trimmed, and one pair of surrounding `'…'` or `"…"` quotes is stripped from the value. Only whole
 * lines are comments: a `#` inside a value (a URL fragment, a secret) is kept. A line without `=` or with an
 * invalid key is an ERR_INVALID_CONFIG naming the line, never the value (values may be secrets).
 */
export function parseConfigFile(text: string, fileName = "config file"): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r\n|\r|\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = eq < 0 ? "" : line.slice(0, eq).trim();
    if (!KEY_PATTERN.test(key)) {
      throw new StartupError("ERR_INVALID_CONFIG", `${fileName}:${index + 1}: expected KEY=VALUE`);
    }
    values[key] = stripQuotes(line.slice(eq + 1).trim());
  }
  return values;
}

function stripQuotes(value: string): string {
  if (value.length >= 2) {
    const first = value[0];
    if ((first === '"' || first === "'") && value.endsWith(first)) return value.slice(1, -1);
  }
  return value;
}

/** Reads a text file; replaceable so tests need no file system. */
export type ReadText = (path: string) => string;

const readUtf8: ReadText = (path) => readFileSync(path, "utf8");

/**
 * Reads the configuration: `env` (default `process.env`) merged over the file named by its `PECR_CONFIG_PATH`,
 * if set and non-empty. An unreadable file is an ERR_INVALID_CONFIG.
 */
export function loadConfigSource(env: ConfigSource = process.env, readText: ReadText = readUtf8): ConfigSource {
  const path = env[CONFIG_PATH_VARIABLE]?.trim();
  if (!path) return { ...env };
  let text: string;
  try {
    text = readText(path);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", `cannot read ${CONFIG_PATH_VARIABLE} file`, { cause });
  }
  const merged: Record<string, string | undefined> = parseConfigFile(text, CONFIG_PATH_VARIABLE);
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
