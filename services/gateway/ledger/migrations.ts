/**
 * Forward-only migrations: the SQL files of db/migrations, applied in file-name order, each in the same
 * transaction as its row in `pecr_schema_migrations`. A concurrent migrator of the same schema waits on an
 * advisory lock; a file already applied is skipped, and one whose content changed since is refused.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { LedgerDatabase } from "./database.js";

/** The repository's migration folder. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../../db/migrations/", import.meta.url));

/** One migration file. */
export interface Migration {
  /** File name without `.sql`, e.g. `0001_ledger`; its order key. */
  readonly name: string;
  /** The SQL script. */
  readonly sql: string;
  /** SHA-256 of the script, recorded when applied. */
  readonly checksum: string;
}

/** What a migration run did. */
export interface MigrationResult {
  /** Migrations applied by this run, in order. */
  readonly applied: readonly string[];
  /** Migrations that were already applied. */
  readonly alreadyApplied: readonly string[];
}

/** MigrationError is thrown when an applied migration's file no longer matches what was applied. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/** Reads the `*.sql` files of `directory`, sorted by name. */
export async function loadMigrations(directory: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".sql")).sort();
  return Promise.all(
    names.map(async (file) => {
      const sql = await readFile(`${directory.replace(/\/?$/, "/")}${file}`, "utf8");
      return { name: file.slice(0, -".sql".length), sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/** Applies the migrations not yet applied to `db`'s schema (creating the schema if needed). */
export async function migrate(
  db: LedgerDatabase,
  options: { readonly directory?: string } = {},
): Promise<MigrationResult> {
  const migrations = await loadMigrations(options.directory);
  await db.ensureSchema();
  return db.begin(async (tx) => {
    // Serialises migrators of this schema (other processes, other test workers).
    await tx`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.pecr_schema_migrations'))`;
    await tx`CREATE TABLE IF NOT EXISTS pecr_schema_migrations (
      name       text        PRIMARY KEY,
      checksum   text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`;
    const rows = await tx<{ name: string; checksum: string }>`SELECT name, checksum FROM pecr_schema_migrations`;
    const done = new Map(rows.map((row) => [row.name, row.checksum]));
    const applied: string[] = [];
    const alreadyApplied: string[] = [];
    for (const migration of migrations) {
      const checksum = done.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new MigrationError(`migration ${migration.name} was changed after it was applied`);
        }
        alreadyApplied.push(migration.name);
        continue;
      }
      await tx.script(migration.sql);
      await tx`INSERT INTO pecr_schema_migrations (name, checksum) VALUES (${migration.name}, ${migration.checksum})`;
      applied.push(migration.name);
    }
    return { applied, alreadyApplied };
  });
}
