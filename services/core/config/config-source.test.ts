import test from "ava";
import { loadConfigSource, parseConfigFile } from "./config-source.js";
import { StartupError } from "./startup-error.js";

test("a config file is parsed with trimming, whole-line comments and stripped quotes", (t) => {
  const text = [
    "# comment",
    "",
    "  PECR_BIND_ADDR = 127.0.0.1:9090  ",
    'PECR_DB_URL="postgres://u@h/db#frag"',
    "PECR_SECRET='a b'",
    "PECR_EMPTY=",
    "PECR_EQ=a=b",
    "\r",
  ].join("\r\n");
  t.deepEqual(parseConfigFile(text), {
    PECR_BIND_ADDR: "127.0.0.1:9090",
    PECR_DB_URL: "postgres://u@h/db#frag",
    PECR_SECRET: "a b",
    PECR_EMPTY: "",
    PECR_EQ: "a=b",
  });
});

test("a malformed line is ERR_INVALID_CONFIG naming the line but not its content", (t) => {
  const error = t.throws(() => parseConfigFile("A=1\nthis-is-a-secret\n", "cfg"), { instanceOf: StartupError });
  t.is(error?.code, "ERR_INVALID_CONFIG");
  t.is(error?.message, "cfg:2: expected KEY=VALUE");
});

test("env vars are merged over the file named by PECR_CONFIG_PATH, and env wins", (t) => {
  const read: string[] = [];
  const readText = (path: string) => {
    read.push(path);
    return "PECR_A=file\nPECR_B=file\n";
  };
  const source = loadConfigSource({ PECR_CONFIG_PATH: " conf/pecr.env ", PECR_B: "env", PECR_C: "env" }, readText);
  t.deepEqual(read, ["conf/pecr.env"]);
  t.is(source.PECR_A, "file");
  t.is(source.PECR_B, "env");
  t.is(source.PECR_C, "env");
});

test("without PECR_CONFIG_PATH only the env is used; an unreadable file is ERR_INVALID_CONFIG", (t) => {
  const unreadable = () => {
    throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  };
  t.deepEqual(loadConfigSource({ PECR_A: "1" }, unreadable), { PECR_A: "1" });
  const error = t.throws(() => loadConfigSource({ PECR_CONFIG_PATH: "missing.env" }, unreadable), {
    instanceOf: StartupError,
  });
  t.is(error?.code, "ERR_INVALID_CONFIG");
});
