/**
 * Opening the configured ledger: connect, apply migrations (as the connecting user, before switching to the
 * application role, which may not exist until the first migration creates it), then build the ledger.
 */
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { createCheckpointSigner } from "./checkpoints.js";
import type { LedgerDatabase } from "./database.js";
import { createLedger, type Ledger, type LedgerOptions } from "./ledger.js";
import type { LedgerConfig } from "./ledger-config.js";
import { migrate } from "./migrations.js";
import { openPgliteDatabase } from "./pglite-database.js";
import { createPostgresDatabase } from "./postgres-database.js";

/** The wall clock in whole milliseconds (the precision of recorded times). */
export function systemClock(): Timestamp {
  const ms = BigInt(Date.now());
  return create(TimestampSchema, { seconds: ms / 1000n, nanos: Number(ms % 1000n) * 1_000_000 });
}

/** Opens the configured database, migrating it first unless `migrateFirst` is false. */
export async function openLedgerDatabase(
  config: LedgerConfig,
  options: { readonly migrateFirst?: boolean; readonly maxConnections?: number } = {},
): Promise<LedgerDatabase> {
  const migrateFirst = options.migrateFirst ?? true;
  if (config.database.kind === "pglite") {
    const db = await openPgliteDatabase({ dataDir: config.database.dataDir, schema: config.schema });
    if (migrateFirst) await migrate(db).catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    return db;
  }
  const { url, appRole } = config.database;
  if (migrateFirst) {
    const owner = createPostgresDatabase({ url, schema: config.schema, maxConnections: 1 });
    try {
      await migrate(owner);
    } finally {
      await owner.close();
    }
  }
  return createPostgresDatabase({ url, schema: config.schema, appRole, maxConnections: options.maxConnections });
}

/** Opens the configured ledger (migrated), with automatic checkpoints when a signing key is configured. */
export async function openLedger(
  config: LedgerConfig,
  options: Omit<LedgerOptions, "db" | "evidencePayloads" | "checkpoints"> & {
    readonly now?: () => Timestamp;
    readonly migrateFirst?: boolean;
  } = {},
): Promise<Ledger> {
  const db = await openLedgerDatabase(config, { migrateFirst: options.migrateFirst ?? true });
  const checkpoints =
    config.signingKey !== undefined && config.checkpointEvery > 0
      ? {
          signer: createCheckpointSigner(config.signingKey),
          everyEvents: config.checkpointEvery,
          now: options.now ?? systemClock,
        }
      : undefined;
  return createLedger({ ...options, db, evidencePayloads: config.evidencePayloads, checkpoints });
}
