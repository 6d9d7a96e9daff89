import test from "ava";
import { createConfigReader, parseHostPort } from "./config-reader.js";
import { StartupError, formatStartupError } from "./startup-error.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StartupError ? error.code : "not a StartupError";
  }
  return undefined;
}

test("strings are trimmed and empty values fall back to the default", (t) => {
  const config = createConfigReader({ A: "  value  ", B: "   ", C: "" });
  t.is(config.string("A", "d"), "value");
  t.is(config.string("B", "d"), "d");
  t.is(config.string("MISSING", "d"), "d");
  t.is(config.optionalString("C"), undefined);
  t.is(config.optionalString("A"), "value");
});

test("a missing or empty required value is ERR_MISSING_CONFIG naming the variable", (t) => {
  const config = createConfigReader({ PECR_DB_URL: " " });
  t.is(codeOf(() => config.requiredString("PECR_DB_URL")), "ERR_MISSING_CONFIG");
  const error = t.throws(() => config.requiredString("PECR_OPA_URL"));
  t.is(error?.message, "PECR_OPA_URL is required");
});

test("integers: empty means default, garbage or out of range is ERR_INVALID_CONFIG without echoing the value", (t) => {
  const config = createConfigReader({ OK: "42", NEG: "-3", EMPTY: "", BAD: "12ms", FLOAT: "1.5", BIG: "11" });
  t.is(config.integer("OK", 1), 42);
  t.is(config.integer("NEG", 1), -3);
  t.is(config.integer("EMPTY", 7), 7);
  t.is(config.integer("MISSING", 7), 7);
  t.is(codeOf(() => config.integer("BAD", 1)), "ERR_INVALID_CONFIG");
  t.is(codeOf(() => config.integer("FLOAT", 1)), "ERR_INVALID_CONFIG");
  t.is(codeOf(() => config.integer("BIG", 1, { max: 10 })), "ERR_INVALID_CONFIG");
  t.is(codeOf(() => config.integer("NEG", 1, { min: 0 })), "ERR_INVALID_CONFIG");
  t.false(t.throws(() => config.integer("BAD", 1))?.message.includes("12ms"));
});

test("numbers accept decimals and reject non-finite values", (t) => {
  const config = createConfigReader({ A: "0.95", B: "1e-2", C: "NaN", D: "Infinity", E: "2" });
  t.is(config.number("A", 0), 0.95);
  t.is(config.number("B", 0), 0.01);
  t.is(codeOf(() => config.number("C", 0)), "ERR_INVALID_CONFIG");
  t.is(codeOf(() => config.number("D", 0)), "ERR_INVALID_CONFIG");
  t.is(codeOf(() => config.number("E", 0, { min: 0, max: 1 })), "ERR_INVALID_CONFIG");
});

test("booleans take exactly the reference spellings; empty means default; anything else fails closed", (t) => {
  for (const value of ["1", "true", "TRUE", "yes", "YES"]) t.true(createConfigReader({ X: value }).boolean("X", false));
  for (const value of ["0", "false", "FALSE", "no", "NO"]) t.false(createConfigReader({ X: value }).boolean("X", true));
  t.true(createConfigReader({ X: "" }).boolean("X", true));
  t.false(createConfigReader({}).boolean("X", false));
  for (const value of ["True", "on", "ture"]) {
    t.is(codeOf(() => createConfigReader({ X: value }).boolean("X", false)), "ERR_INVALID_CONFIG");
  }
});

test("oneOf accepts listed values only", (t) => {
  const config = createConfigReader({ MODE: "oidc", BAD: "ldap" });
  t.is(config.oneOf("MODE", ["local", "oidc"], "local"), "oidc");
  t.is(config.oneOf("MISSING", ["local", "oidc"], "local"), "local");
  t.is(codeOf(() => config.oneOf("BAD", ["local", "oidc"], "local")), "ERR_INVALID_CONFIG");
});

test("host:port parses IPv4, names and bracketed IPv6, and rejects the rest", (t) => {
  t.deepEqual(parseHostPort("K", "127.0.0.1:8080"), { host: "127.0.0.1", port: 8080 });
  t.deepEqual(parseHostPort("K", "localhost:0"), { host: "localhost", port: 0 });
  t.deepEqual(parseHostPort("K", "[::1]:9000"), { host: "::1", port: 9000 });
  t.deepEqual(createConfigReader({}).hostPort("PECR_BIND_ADDR", "127.0.0.1:8080"), { host: "127.0.0.1", port: 8080 });
  for (const bad of ["8080", "::1:80", "host:99999", "host:", ":80"]) {
    t.is(codeOf(() => parseHostPort("K", bad)), "ERR_INVALID_CONFIG", bad);
  }
});

test("startup errors print as `STARTUP_ERROR <CODE>: <message>`", (t) => {
  t.is(formatStartupError(new StartupError("ERR_BIND_FAILED", "cannot listen")), "STARTUP_ERROR ERR_BIND_FAILED: cannot listen");
  t.is(formatStartupError(new Error("boom")), "STARTUP_ERROR ERR_STARTUP_FAILED: boom");
  t.is(new StartupError("ERR_INVALID_CONFIG", "x").name, "StartupError");
});
