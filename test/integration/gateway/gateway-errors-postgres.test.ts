/** The gateway error-catalogue suite (gateway-errors-suite.ts) on real Postgres; skipped without PECR_TEST_DB_URL. */
import anyTest, { type TestFn } from "ava";
import { type ErrorsSuiteContext, registerGatewayErrorsSuite } from "./gateway-errors-suite.js";

const test = anyTest as TestFn<ErrorsSuiteContext>;
if (process.env.PECR_TEST_DB_URL) {
  registerGatewayErrorsSuite(test, "postgres");
} else {
  test.skip("gateway error-catalogue suite on real Postgres (set PECR_TEST_DB_URL)", () => undefined);
}
