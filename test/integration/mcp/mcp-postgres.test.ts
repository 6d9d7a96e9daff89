import anyTest, { type TestFn } from "ava";
import { type McpSuiteContext, registerMcpSuite } from "./mcp-suite.js";

const test = anyTest as TestFn<McpSuiteContext>;
if (process.env.PECR_TEST_DB_URL) {
  registerMcpSuite(test, "postgres");
} else {
  test.skip("MCP suite on real Postgres (set PECR_TEST_DB_URL)", () => undefined);
}
