import test from "ava";
import { createLogger, safeErrorSerializer } from "./logger.js";

test("logged errors carry type, message, code, stack and cause, never driver properties such as bound parameters", (t) => {
  const driverError = Object.assign(new Error("insert failed"), {
    code: "23505",
    parameters: ["PECR_CANARY_RESTRICTED_ALPHA_6b3b91c2a7b44a9f"],
    query: "INSERT INTO x VALUES ($1)",
    detail: "Key (id)=(secret) already exists.",
  });
  const wrapped = new Error("ledger unavailable", { cause: driverError });
  const lines: string[] = [];
  const logger = createLogger({ service: "test", destination: { write: (line: string) => void lines.push(line) } });
  logger.warn({ err: wrapped }, "request failed");
  const line = lines.join("");
  t.false(line.includes("PECR_CANARY"));
  t.false(line.includes("INSERT INTO"));
  t.false(line.includes("secret"));
  const serialized = safeErrorSerializer(wrapped);
  t.like(serialized, { type: "Error", message: "ledger unavailable", cause: { type: "Error", message: "insert failed", code: "23505" } });
});
