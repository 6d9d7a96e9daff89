/**
 * `buf breaking` (FILE rules, buf.yaml) of the working tree's protos against a baseline commit, so a change that
 * would break generated clients in any language fails the gate:
 * - `PECR_BREAKING_AGAINST` when set (any git ref);
 * - on a branch other than main, where a local `main` exists: the commit the branch left main at;
 * - otherwise (main itself, a detached checkout): the previous commit.
 * With no earlier commit there is nothing to compare with; it says so and passes.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Runs git; its trimmed stdout, or undefined when it fails. */
function git(...args: string[]): string | undefined {
  const result = spawnSync("git", args, { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function baselineRef(): string | undefined {
  const configured = process.env["PECR_BREAKING_AGAINST"];
  if (configured !== undefined && configured !== "") return configured;
  const branch = git("rev-parse", "--abbrev-ref", "HEAD");
  if (branch !== undefined && branch !== "main" && branch !== "HEAD" && git("rev-parse", "--verify", "--quiet", "main") !== undefined) {
    return git("merge-base", "main", "HEAD");
  }
  return git("rev-parse", "--verify", "--quiet", "HEAD~1");
}

const against = baselineRef();
if (against === undefined) {
  console.log("buf breaking: no earlier commit to compare with");
} else {
  console.log(`buf breaking: against ${against}`);
  const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));
  const result = spawnSync(buf, ["breaking", "--against", `.git#ref=${against}`], { stdio: "inherit" });
  process.exitCode = result.status ?? 1;
}
