import anyTest, { type TestFn } from "ava";
import { type McpSuiteContext, registerMcpSuite } from "./mcp-suite.js";

registerMcpSuite(anyTest as TestFn<McpSuiteContext>, "pglite");
