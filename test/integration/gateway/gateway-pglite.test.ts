import anyTest, { type TestFn } from "ava";
import { registerGatewaySuite, type SuiteContext } from "./gateway-suite.js";

registerGatewaySuite(anyTest as TestFn<SuiteContext>, "pglite");
