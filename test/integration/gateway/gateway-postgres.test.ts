import anyTest, { type TestFn } from "ava";
import { registerGatewaySuite, type SuiteContext } from "./gateway-suite.js";

const test = anyTest as TestFn<SuiteContext>;
if (process.env.PECR_TEST_DB_URL) {
  registerGatewaySuite(test, "postgres");
} else {
  test.skip("gateway suite on real Postgres (set PECR_TEST_DB_URL)", () => undefined);
}
