import { readFile } from "node:fs/promises";
import test from "ava";
import { loadBundle } from "./bundle.js";
import { loadPolicy } from "./rego/engine.js";
import { runPolicyTests } from "./rego/policy-tests.js";

test("every test_ rule of the repository policy passes", async (t) => {
  const bundle = await loadBundle("opa");
  const results = runPolicyTests(loadPolicy(bundle.modules), bundle.data);
  t.true(results.length >= 20, `found ${results.length} tests`);
  t.deepEqual(
    results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.detail ?? ""}`),
    [],
  );
});

test("the policy tests catch a weakened policy", async (t) => {
  const policy = await readFile("opa/bundle/policy.rego", "utf8");
  const tests = await readFile("opa/tests/policy_test.rego", "utf8");
  // Let support call every operator on anything: several tests must now fail.
  const weakened = policy.replace('} else := grant if {\n\tis_principal("support")\n\tgrant := support_grant\n}', '} else := {"allow": true, "cacheable": true, "reason": "operator_call_support_search", "redaction": {}} if {\n\tis_principal("support")\n}');
  t.not(weakened, policy, "the mutation applies");
  const results = runPolicyTests(
    loadPolicy([
      { path: "policy.rego", text: weakened },
      { path: "policy_test.rego", text: tests },
    ]),
  );
  const failed = results.filter((r) => !r.passed).map((r) => r.name);
  t.true(failed.includes("data.pecr.authz_test.test_support_may_not_redact"));
  t.true(failed.includes("data.pecr.authz_test.test_support_may_not_read_other_documents"));
});
