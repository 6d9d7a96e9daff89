import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { formatReport, runConformance } from "./conformance/runner.js";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const DIR = process.env["PECR_OPA_CONFORMANCE_DIR"] ?? resolve(REPO_ROOT, "../shared/opa-conformance/v1");

/** Folders the PECR policy relies on (or that exercise the core language): every case must pass. */
const REQUIRED = [
  "aggregates",
  "arithmetic",
  "array",
  "assignments",
  "comparisonexpr",
  "completedoc",
  "comprehensions",
  "containskeyword",
  "defaultkeyword",
  "disjunction",
  "elsekeyword",
  "eqexpr",
  "every",
  "functions",
  "indexing",
  "inputvalues",
  "negation",
  "nestedreferences",
  "partialobjectdoc",
  "partialsetdoc",
  "refheads",
  "sets",
  "strings",
  "type",
  "varreferences",
  "virtualdocs",
  "withkeyword",
];

const isRequired = (folder: string): boolean => REQUIRED.includes(folder) || folder.startsWith("trim");

test("the embedded evaluator passes OPA's conformance cases (required folders fully, no wrong answers anywhere)", async (t) => {
  t.true(existsSync(DIR), `conformance directory ${DIR} is missing (set PECR_OPA_CONFORMANCE_DIR)`);
  const report = await runConformance(DIR);
  t.log(`\n${formatReport(report)}`);
  const total = report.totals.passed + report.totals.failed + report.totals.skipped;
  t.log(`pass rate ${((100 * report.totals.passed) / total).toFixed(1)}% of ${total} cases`);

  const notPassedInRequired = report.cases.filter((c) => isRequired(c.folder) && c.status !== "passed");
  t.deepEqual(
    notPassedInRequired.map((c) => `${c.note} [${c.status}]: ${c.detail ?? ""}`),
    [],
    "every case in the required folders passes",
  );
  const failed = report.cases.filter((c) => c.status === "failed");
  t.deepEqual(
    failed.map((c) => `${c.note}: ${c.detail ?? ""}`),
    [],
    "no case anywhere gets a wrong answer (unsupported builtins are skipped, never guessed)",
  );
  for (const folder of REQUIRED.filter((f) => f !== "indexing")) {
    t.true((report.folders.get(folder)?.passed ?? 0) > 0, `folder ${folder} ran`);
  }
  t.true(report.totals.passed / total > 0.8, "most cases pass");
});
