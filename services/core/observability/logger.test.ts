import test from "ava";
import { Writable } from "node:stream";
import { createLogger, namedLogger } from "./logger.js";

function sink() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, destination };
}

test("lines are JSON with time, level label, service and the child's name", (t) => {
  const { lines, destination } = sink();
  const logger = namedLogger(createLogger({ service: "gateway", destination }), "rpc");
  logger.info({ trace_id: "T" }, "hello");
  t.like(lines[0], { level: "info", service: "gateway", logger: "rpc", trace_id: "T", msg: "hello" });
  t.regex(String(lines[0]?.time), /^\d{4}-\d{2}-\d{2}T/);
});

test("secret headers are redacted at the top level and inside nested header objects", (t) => {
  const { lines, destination } = sink();
  const logger = createLogger({ service: "gateway", destination });
  logger.info({
    authorization: "Bearer top",
    headers: { authorization: "Bearer one", "x-pecr-local-auth-secret": "s1", "x-pecr-session-token": "tok", cookie: "c", accept: "ok" },
    req: { headers: { authorization: "Bearer two", "x-pecr-local-auth-secret": "s2" } },
  });
  const text = JSON.stringify(lines);
  for (const secret of ["Bearer top", "Bearer one", "Bearer two", '"s1"', '"s2"', '"tok"', '"c"']) {
    t.false(text.includes(secret), secret);
  }
  t.like(lines[0], { headers: { accept: "ok", authorization: "[REDACTED]" } });
});

test("the level option filters lines", (t) => {
  const { lines, destination } = sink();
  const logger = createLogger({ service: "s", level: "warn", destination });
  logger.info("dropped");
  logger.warn("kept");
  t.deepEqual(lines.map((line) => line.msg), ["kept"]);
});
