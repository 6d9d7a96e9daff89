/**
 * Fails when gen/ is not exactly what `buf generate` makes from proto/ now (stale or hand-edited code).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(root, path) : [relative(root, path)];
  });
}

const scratch = mkdtempSync(join(tmpdir(), "pecr-gen-"));
try {
  execFileSync(join("node_modules", ".bin", "buf"), ["generate", "-o", scratch], { stdio: ["ignore", "ignore", "inherit"] });
  const fresh = join(scratch, "gen");
  const want = listFiles(fresh).sort();
  const have = listFiles("gen").sort();
  const problems: string[] = [];
  for (const file of want) {
    if (!have.includes(file)) problems.push(`missing: gen/${file}`);
    else if (!readFileSync(join(fresh, file)).equals(readFileSync(join("gen", file)))) problems.push(`stale: gen/${file}`);
  }
  for (const file of have) if (!want.includes(file)) problems.push(`not generated from proto/: gen/${file}`);
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error("gen/ is out of date: run `npm run generate` and commit the result.");
    process.exitCode = 1;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
