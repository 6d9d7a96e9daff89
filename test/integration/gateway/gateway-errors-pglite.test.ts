/** The gateway error-catalogue suite (gateway-errors-suite.ts) on the embedded PGlite ledger. */
import anyTest, { type TestFn } from "ava";
import { type ErrorsSuiteContext, registerGatewayErrorsSuite } from "./gateway-errors-suite.js";

registerGatewayErrorsSuite(anyTest as TestFn<ErrorsSuiteContext>, "pglite");
