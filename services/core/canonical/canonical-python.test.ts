/**
 * Cross-checks the golden vectors against a second implementation: the reference protobuf runtime's
 * deterministic serialization (Debian's python3-protobuf), with Python classes generated from proto/ by protoc.
 * `bash .ci/run` installs python3-protobuf and protobuf-compiler.
 */
import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GOLDEN_VECTORS_PATH, loadGoldenVectors } from "./golden-vectors.js";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The first Python interpreter that can import google.protobuf. */
function findPython(): string | undefined {
  const candidates = [process.env.PECR_PYTHON, "python3", "/usr/bin/python3"].filter(
    (candidate): candidate is string => candidate !== undefined && candidate !== "",
  );
  return candidates.find((python) => spawnSync(python, ["-c", "import google.protobuf"]).status === 0);
}

test("Python's deterministic serialization produces byte-identical output for every golden vector", (t) => {
  const python = findPython();
  if (python === undefined) {
    t.fail("no python3 with google.protobuf found: install python3-protobuf (bash .ci/run does)");
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), "pecr-pyproto-"));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const image = join(scratch, "image.binpb");
  const out = join(scratch, "py");
  mkdirSync(out);
  execFileSync(join(repoRoot, "node_modules/.bin/buf"), ["build", "-o", image], { cwd: repoRoot });
  const protos = readdirSync(join(repoRoot, "proto/pecr/v1")).map((file) => `pecr/v1/${file}`);
  execFileSync("protoc", [`--descriptor_set_in=${image}`, `--python_out=${out}`, ...protos, "buf/validate/validate.proto"]);

  const result = spawnSync(python, [join(repoRoot, "scripts/interop/canonical_check.py"), fileURLToPath(GOLDEN_VECTORS_PATH), out], {
    encoding: "utf8",
  });
  t.is(result.stderr, "");
  const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { name: string; ok: boolean; python_hex: string });
  t.is(rows.length, loadGoldenVectors().length);
  for (const row of rows) t.true(row.ok, `${row.name}: python wrote ${row.python_hex}`);
  t.is(result.status, 0);
});
