/**
 * DESIGN.md §1's boundaries, checked on the import graph: the controller reaches only services/core and gen
 * (never the gateway, its ledger or policy engine, database clients, or the corpus), and services/core imports
 * neither service. The checker itself is shown to catch direct, transitive (through `#core/*`), package,
 * built-in and text violations on a throwaway project.
 */
import test from "ava";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PECR_BOUNDARY_RULES, findBoundaryViolations } from "./support/import-graph.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

test("the controller, the MCP server and core respect the service boundaries", (t) => {
  const violations = findBoundaryViolations(ROOT, PECR_BOUNDARY_RULES);
  t.deepEqual(violations, [], violations.map((v) => `${v.rule}: ${v.chain.join(" -> ")} => ${v.target}`).join("\n"));
});

/** Writes a throwaway project: `package.json` with the same subpath imports, plus `files`. */
async function fixture(t: import("ava").ExecutionContext, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "pecr-boundaries-"));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const all: Record<string, string> = {
    "package.json": JSON.stringify({ type: "module", imports: { "#gen/*": "./gen/*", "#core/*": "./services/core/*" } }),
    "services/core/util.ts": "export const util = 1;\n",
    "gen/pecr/v1/thing_pb.ts": "export const thing = 1;\n",
    "services/gateway/ledger/ledger.ts": "export const ledger = 1;\n",
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const CLEAN = {
  "services/controller/run.ts":
    'import { util } from "#core/util.js";\nimport { thing } from "#gen/pecr/v1/thing_pb.js";\nimport { x } from "./helper.js";\nexport const run = util + thing + x;\n',
  "services/controller/helper.ts": "export const x = 1;\n",
};

test("a clean project has no violations (subpath imports and .js to .ts resolve)", async (t) => {
  const root = await fixture(t, CLEAN);
  t.deepEqual(findBoundaryViolations(root, PECR_BOUNDARY_RULES), []);
});

test("a controller file importing the gateway directly is caught", async (t) => {
  const root = await fixture(t, {
    ...CLEAN,
    "services/controller/helper.ts": 'export { ledger as x } from "../gateway/ledger/ledger.js";\n',
  });
  const violations = findBoundaryViolations(root, PECR_BOUNDARY_RULES);
  t.deepEqual(
    violations.map((v) => [v.rule, v.target, v.chain.join(" -> ")]),
    [
      [
        "controller is non-privileged",
        "services/gateway/ledger/ledger.ts",
        "services/controller/helper.ts -> services/gateway/ledger/ledger.ts",
      ],
      [
        "controller is non-privileged",
        "services/gateway/ledger/ledger.ts",
        "services/controller/run.ts -> services/controller/helper.ts -> services/gateway/ledger/ledger.ts",
      ],
    ],
  );
});

test("an MCP server file importing the ledger, a database client or the file system is caught", async (t) => {
  const root = await fixture(t, {
    ...CLEAN,
    "services/mcp/tool.ts": 'import { ledger } from "../gateway/ledger/ledger.js";\nimport postgres from "postgres";\nimport { readFileSync } from "node:fs";\nexport const tool = [ledger, postgres, readFileSync];\n',
  });
  const violations = findBoundaryViolations(root, PECR_BOUNDARY_RULES).filter((v) => v.rule === "mcp server is non-privileged");
  t.deepEqual(violations.map((v) => v.target).sort(), ["builtin:fs", "package:postgres", "services/gateway/ledger/ledger.ts"]);
});

test("a gateway import reached through #core is caught for the controller and for core", async (t) => {
  const root = await fixture(t, {
    ...CLEAN,
    "services/core/util.ts": 'import("../gateway/ledger/ledger.js");\nexport const util = 1;\n',
  });
  const violations = findBoundaryViolations(root, PECR_BOUNDARY_RULES);
  t.true(
    violations.some(
      (v) =>
        v.rule === "controller is non-privileged" &&
        v.chain.join(" -> ") === "services/controller/run.ts -> services/core/util.ts -> services/gateway/ledger/ledger.ts",
    ),
  );
  t.true(violations.some((v) => v.rule === "core imports neither service" && v.target === "services/gateway/ledger/ledger.ts"));
});

test("core importing the controller is caught", async (t) => {
  const root = await fixture(t, { ...CLEAN, "services/core/util.ts": 'export type { X } from "../controller/helper.js";\nexport const util = 1;\n' });
  const violations = findBoundaryViolations(root, PECR_BOUNDARY_RULES);
  t.true(violations.some((v) => v.rule === "core imports neither service" && v.target === "services/controller/helper.ts"));
});

test("database clients are caught even when reached through core", async (t) => {
  const root = await fixture(t, {
    ...CLEAN,
    "services/core/util.ts": 'import postgres from "postgres";\nexport const util = postgres;\n',
    "services/controller/helper.ts": 'import { PGlite } from "@electric-sql/pglite/worker";\nexport const x = PGlite;\n',
  });
  const targets = findBoundaryViolations(root, PECR_BOUNDARY_RULES).map((v) => v.target);
  t.true(targets.includes("package:postgres"));
  t.true(targets.includes("package:@electric-sql/pglite"));
});

test("a controller file reading files or naming the corpus is caught", async (t) => {
  const root = await fixture(t, {
    ...CLEAN,
    "services/controller/helper.ts":
      'import { readFileSync } from "node:fs";\nexport const x = readFileSync("fixtures/fs_corpus/public/a.txt", "utf8");\n',
  });
  const targets = findBoundaryViolations(root, PECR_BOUNDARY_RULES).map((v) => v.target);
  t.true(targets.includes("builtin:fs"));
  t.true(targets.includes("text:fs_corpus/"));
});

test("imports that do not resolve are reported rather than skipped", async (t) => {
  const root = await fixture(t, { ...CLEAN, "services/controller/helper.ts": 'export { x } from "./missing.js";\n' });
  const targets = findBoundaryViolations(root, PECR_BOUNDARY_RULES).map((v) => v.target);
  t.true(targets.includes("unresolved:./missing.js"));
});
