/**
 * `pecr policy`: the policy toolbox, running the embedded Rego evaluator.
 *   pecr policy test [DIR]                                  run the `test_*` rules under DIR (default opa)
 *   pecr policy eval --input FILE [--bundle opa/bundle]     print the decision for an input (FILE or - for stdin)
 *   pecr policy conformance DIR                             run OPA's YAML conformance cases under DIR
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadBundle } from "../../services/gateway/policy/bundle.js";
import { DECISION_QUERY } from "../../services/gateway/policy/embedded-engine.js";
import { formatReport, runConformance } from "../../services/gateway/policy/rego/conformance/runner.js";
import { evaluateQuery, loadPolicy, prepareQuery } from "../../services/gateway/policy/rego/engine.js";
import { runPolicyTests } from "../../services/gateway/policy/rego/policy-tests.js";
import { fromJson, toJson } from "../../services/gateway/policy/rego/value-json.js";

const USAGE = `usage:
  pecr policy test [DIR]
  pecr policy eval --input FILE [--bundle opa/bundle]
  pecr policy conformance DIR`;

/** Runs `pecr policy <subcommand>`; resolves with the exit code. */
export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case "test":
        return await testCommand(rest);
      case "eval":
        return await evalCommand(rest);
      case "conformance":
        return await conformanceCommand(rest);
      default:
        console.error(USAGE);
        return sub === undefined || sub === "help" || sub === "--help" ? 0 : 2;
    }
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
}

async function testCommand(args: string[]): Promise<number> {
  if (args.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const dir = args[0] ?? "opa";
  const bundle = await loadBundle(dir);
  const policy = loadPolicy(bundle.modules);
  const results = runPolicyTests(policy, bundle.data);
  let passed = 0;
  for (const r of results) {
    if (r.passed) passed++;
    console.log(`${r.passed ? "PASS" : "FAIL"} ${r.name} (${r.ms.toFixed(2)}ms)${r.detail === undefined ? "" : `: ${r.detail}`}`);
  }
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { input: { type: "string" }, bundle: { type: "string", default: "opa/bundle" } },
    strict: true,
    allowPositionals: false,
  });
  if (values.input === undefined) {
    console.error(USAGE);
    return 2;
  }
  const text = values.input === "-" ? await readStdin() : await readFile(values.input, "utf8");
  const bundle = await loadBundle(values.bundle);
  const policy = loadPolicy(bundle.modules);
  const results = evaluateQuery(policy, prepareQuery(policy, DECISION_QUERY), {
    input: fromJson(JSON.parse(text)),
    data: bundle.data,
  });
  const decision = results[0]?.get("decision");
  console.log(decision === undefined ? "undefined" : JSON.stringify(toJson(decision), null, 2));
  return 0;
}

async function conformanceCommand(args: string[]): Promise<number> {
  if (args.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const report = await runConformance(args[0] as string);
  console.log(formatReport(report));
  return report.totals.failed === 0 ? 0 : 1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
