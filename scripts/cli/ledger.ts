/**
 * `pecr ledger migrate | verify | checkpoint`: apply the ledger migrations, verify the whole ledger (exit 1 on
 * a break, printing the first one), or write a signed checkpoint of the current head. Configured from the
 * environment (see services/gateway/ledger/ledger-config.ts).
 */
import { createCheckpointSigner, rawPublicKey, writeCheckpoint } from "../../services/gateway/ledger/checkpoints.js";
import { createPublicKey } from "node:crypto";
import { readLedgerConfig } from "../../services/gateway/ledger/ledger-config.js";
import { migrate } from "../../services/gateway/ledger/migrations.js";
import { openLedgerDatabase, systemClock } from "../../services/gateway/ledger/open-ledger.js";
import { openPgliteDatabase } from "../../services/gateway/ledger/pglite-database.js";
import { createPostgresDatabase } from "../../services/gateway/ledger/postgres-database.js";
import { verifyLedger } from "../../services/gateway/ledger/verify-ledger.js";

const USAGE = `usage: pecr ledger <migrate|verify|checkpoint>
  migrate     apply the ledger migrations
  verify      recompute every hash, link and checkpoint; exit 1 on the first break
  checkpoint  sign and store a checkpoint of the current head (needs PECR_LEDGER_SIGNING_KEY)`;

/** Runs `pecr ledger <subcommand>`; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const [subcommand] = args;
  if (subcommand !== "migrate" && subcommand !== "verify" && subcommand !== "checkpoint") {
    console.error(USAGE);
    return subcommand === undefined || subcommand === "help" || subcommand === "--help" ? 0 : 2;
  }
  const config = readLedgerConfig(process.env);
  if (subcommand === "migrate") {
    // Migrations run as the connecting user (the application role may not exist yet).
    const db =
      config.database.kind === "pglite"
        ? await openPgliteDatabase({ dataDir: config.database.dataDir, schema: config.schema })
        : createPostgresDatabase({ url: config.database.url, schema: config.schema, maxConnections: 1 });
    try {
      const result = await migrate(db);
      console.log(`applied: ${result.applied.join(", ") || "none"}; already applied: ${result.alreadyApplied.length}`);
      return 0;
    } finally {
      await db.close();
    }
  }

  const db = await openLedgerDatabase(config, { migrateFirst: false });
  try {
    if (subcommand === "checkpoint") {
      if (config.signingKey === undefined) {
        console.error("pecr ledger checkpoint: set PECR_LEDGER_SIGNING_KEY or PECR_LEDGER_SIGNING_KEY_PATH");
        return 2;
      }
      const signer = createCheckpointSigner(config.signingKey);
      const { checkpoint } = await writeCheckpoint(db, signer, systemClock());
      console.log(`checkpoint: seq ${checkpoint?.seq} head ${checkpoint?.headHash} key ${signer.keyId}`);
      return 0;
    }
    const trustedKeys =
      config.signingKey === undefined ? undefined : [rawPublicKey(createPublicKey(config.signingKey))];
    const started = performance.now();
    const verification = await verifyLedger(db.sql, { trustedKeys, connection: db.connection });
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(Number(verification.eventsVerified) / Math.max(seconds, 1e-6));
    const brk = verification.firstBreak;
    if (verification.ok || brk === undefined) {
      console.log(
        `ledger ok: ${verification.eventsVerified} events and ${verification.evidenceVerified} evidence units verified ` +
          `in ${seconds.toFixed(2)} s (${rate} events/s); head seq ${verification.headSeq} ${verification.headHash}; ` +
          `last checkpoint seq ${verification.checkpointSeq}` +
          (trustedKeys === undefined ? " (no signing key configured: checkpoint keys not pinned)" : ""),
      );
      return 0;
    }
    console.log(`ledger BROKEN at seq ${brk.seq}: table ${brk.table}, field ${brk.field}`);
    console.log(`  expected: ${brk.expected}`);
    console.log(`  actual:   ${brk.actual}`);
    console.log(`  (${verification.eventsVerified} events verified before the break)`);
    return 1;
  } finally {
    await db.close();
  }
}
