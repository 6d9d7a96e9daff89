/**
 * `pecr ledger migrate | checkpoint | verify` as an operator runs them, on an embedded ledger in a temporary
 * data directory: exit codes and what they print, before and after tampering.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { openPgliteDatabase } from "../../../services/gateway/ledger/pglite-database.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

test("pecr ledger migrates, checkpoints and verifies, and exits 1 with the first break after tampering", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pecr-ledger-cli-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const env = { PECR_DATA_DIR: dir, PECR_DB_URL: "", PECR_DB_SCHEMA: "", PECR_LEDGER_SIGNING_KEY: pem };
  const pecr = (...args: string[]) => run("scripts/pecr.ts", ["ledger", ...args], env);

  const migrated = await pecr("migrate");
  t.is(migrated.code, 0, migrated.stderr);
  t.regex(migrated.stdout, /applied: 0001_ledger/);
  const appended = await run(fileURLToPath(new URL("./ledger-child.ts", import.meta.url)), ["append", "cli", "10", "3", "2"], env);
  t.is(appended.code, 0, appended.stderr);

  const checkpoint = await pecr("checkpoint");
  t.is(checkpoint.code, 0, checkpoint.stderr);
  t.regex(checkpoint.stdout, /^checkpoint: seq 32 head [0-9a-f]{64} key [0-9a-f]{64}$/m);
  const verified = await pecr("verify");
  t.is(verified.code, 0, verified.stderr);
  t.regex(verified.stdout, /^ledger ok: 32 events .* last checkpoint seq 32$/m);

  const db = await openPgliteDatabase({ dataDir: join(dir, "ledger"), schema: "public" });
  await db.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`;
    await tx`UPDATE pecr_events SET canonical_bytes = canonical_bytes || '\\x00'::bytea WHERE seq = 5`;
  });
  await db.close();
  const broken = await pecr("verify");
  t.is(broken.code, 1);
  t.regex(broken.stdout, /^ledger BROKEN at seq 5: table pecr_events, field event_hash$/m);

  t.is((await pecr("rewrite")).code, 2);
});
