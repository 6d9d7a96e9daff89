import test from "ava";
import { createConfigReader } from "#core/config/config-reader.js";
import { StartupError } from "#core/config/startup-error.js";
import { readGatewayConfig } from "./gateway-config.js";

const read = (env: Record<string, string>) => readGatewayConfig(createConfigReader(env));

test("the gateway logs at info unless PECR_LOG_LEVEL names another pino level", (t) => {
  t.is(read({}).logLevel, "info");
  t.is(read({ PECR_LOG_LEVEL: "debug" }).logLevel, "debug");
  const error = t.throws(() => read({ PECR_LOG_LEVEL: "loud" }), { instanceOf: StartupError });
  t.is(error?.code, "ERR_INVALID_CONFIG");
  t.regex(error?.message ?? "", /PECR_LOG_LEVEL/);
});
