import test from "ava";
import { createConfigReader } from "#core/config/config-reader.js";
import { StartupError } from "#core/config/startup-error.js";
import { readMcpConfig } from "./mcp-config.js";

const read = (env: Record<string, string>) => readMcpConfig(createConfigReader({ PECR_GATEWAY_URL: "http://127.0.0.1:8080", ...env }));

function startupCode(t: import("ava").ExecutionContext, env: Record<string, string>): string {
  const error = t.throws(() => read(env));
  t.true(error instanceof StartupError);
  return (error as StartupError).code;
}

test("defaults: the six operator tools, public scope, no consent, the default budget", (t) => {
  const config = read({ PECR_MCP_PRINCIPAL_ID: "dev" });
  t.deepEqual([...config.grant.allowedTools], ["search", "fetch_span", "fetch_rows", "aggregate", "list_versions", "diff"]);
  t.deepEqual(config.grant.scopePrefixes, ["fs:public/", "view:safe_customer_view_public"]);
  t.deepEqual(config.grant.consent, { allowed: [], approval: [] });
  t.is(config.grant.maxBudget.maxOperatorCalls, 10);
  t.deepEqual(config.credentials, { kind: "local", principalId: "dev", sharedSecret: undefined });
});

test("ask is offered only with a controller URL", (t) => {
  t.true(read({ PECR_MCP_PRINCIPAL_ID: "dev", PECR_CONTROLLER_URL: "http://127.0.0.1:8081" }).grant.allowedTools.has("ask"));
  t.is(startupCode(t, { PECR_MCP_PRINCIPAL_ID: "dev", PECR_MCP_ALLOWED_TOOLS: "ask" }), "ERR_INVALID_CONFIG");
});

test("credentials come from configuration: a principal or a bearer token, exactly one", (t) => {
  t.deepEqual(read({ PECR_MCP_BEARER_TOKEN: "jwt" }).credentials, { kind: "bearer", token: "jwt" });
  t.is(startupCode(t, {}), "ERR_MISSING_CONFIG");
  t.is(startupCode(t, { PECR_MCP_PRINCIPAL_ID: "dev", PECR_MCP_BEARER_TOKEN: "jwt" }), "ERR_INVALID_CONFIG");
});

test("consent JSON is parsed strictly", (t) => {
  const config = read({
    PECR_MCP_PRINCIPAL_ID: "dev",
    PECR_MCP_CONSENT_JSON: '{"allowed_scopes":["fs:public/","fs:public/"],"approval_scopes":["fs:restricted/"]}',
  });
  t.deepEqual(config.grant.consent, { allowed: ["fs:public/"], approval: ["fs:restricted/"] });
  t.is(startupCode(t, { PECR_MCP_PRINCIPAL_ID: "dev", PECR_MCP_CONSENT_JSON: '{"allow":["fs:"]}' }), "ERR_INVALID_CONFIG");
  t.is(startupCode(t, { PECR_MCP_PRINCIPAL_ID: "dev", PECR_MCP_CONSENT_JSON: '{"allowed_scopes":["public/"]}' }), "ERR_INVALID_CONFIG");
});

test("an out-of-range budget is refused at startup", (t) => {
  t.is(startupCode(t, { PECR_MCP_PRINCIPAL_ID: "dev", PECR_MCP_BUDGET_JSON: '{"max_operator_calls":20000}' }), "ERR_INVALID_CONFIG");
});
