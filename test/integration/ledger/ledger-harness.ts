/**
 * Backends for the shared ledger suite. Each test gets a fresh, migrated, empty ledger of its own: on real
 * Postgres a schema `pecr_test_ledger_<unique>` (dropped afterwards), on PGlite an in-memory instance started
 * from a migrated template dump (starting from a dump is several times faster than initialising a database).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { LedgerDatabase } from "../../../services/gateway/ledger/database.js";
import { migrate } from "../../../services/gateway/ledger/migrations.js";
import { openPgliteDatabase } from "../../../services/gateway/ledger/pglite-database.js";
import { createPostgresDatabase } from "../../../services/gateway/ledger/postgres-database.js";

/** A fresh ledger database for one test. */
export interface TestDatabase {
  /** What the ledger under test uses (on Postgres: connected with the application role). */
  readonly db: LedgerDatabase;
  /** The owner's connection (superuser), for tampering behind the triggers' back. */
  readonly owner: LedgerDatabase;
  /** Environment for a child process opening the same ledger (PECR_DB_URL etc.); undefined on PGlite. */
  readonly childEnv: Record<string, string> | undefined;
  /** Opens another connection pool to the same ledger (Postgres); PGlite returns `db` itself. */
  another(): LedgerDatabase;
  /** Drops everything. */
  dispose(): Promise<void>;
}

/** A backend the suite runs on. */
export interface LedgerBackend {
  /** `pglite` or `postgres`. */
  readonly name: "pglite" | "postgres";
  /** Creates a fresh ledger database. */
  fresh(): Promise<TestDatabase>;
  /** Frees shared resources after the file's tests. */
  close(): Promise<void>;
}

/** The application role the migrations create. */
export const APP_ROLE = "pecr_app";

/** Real Postgres at `url`: one schema per test, the ledger connected as the application role. */
export function postgresBackend(url: string): LedgerBackend {
  const admin = postgres(url, { max: 2, onnotice: () => undefined });
  const prefix = `pecr_test_ledger_${process.pid}_${randomBytes(3).toString("hex")}`;
  let counter = 0;
  return {
    name: "postgres",
    async fresh() {
      const schema = `${prefix}_${++counter}`;
      const owner = createPostgresDatabase({ url, schema, maxConnections: 4 });
      await migrate(owner);
      const pools: LedgerDatabase[] = [];
      const another = () => {
        const pool = createPostgresDatabase({ url, schema, appRole: APP_ROLE, maxConnections: 10 });
        pools.push(pool);
        return pool;
      };
      const db = another();
      return {
        db,
        owner,
        childEnv: { PECR_DB_URL: url, PECR_DB_SCHEMA: schema, PECR_DB_APP_ROLE: APP_ROLE },
        another,
        async dispose() {
          await Promise.all(pools.map((pool) => pool.close()));
          await owner.close();
          await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`;
        },
      };
    },
    async close() {
      await admin.end({ timeout: 5 });
    },
  };
}

/** Embedded PGlite: one in-memory instance per test, started from a migrated template. */
export function pgliteBackend(): LedgerBackend {
  const schema = "pecr_test_ledger";
  let template: Promise<Blob> | undefined;
  const makeTemplate = async () => {
    const db = await openPgliteDatabase({ schema });
    try {
      await migrate(db);
      return await db.dump();
    } finally {
      await db.close();
    }
  };
  return {
    name: "pglite",
    async fresh() {
      template ??= makeTemplate();
      const db = await openPgliteDatabase({ schema, loadDataDir: await template });
      return { db, owner: db, childEnv: undefined, another: () => db, dispose: () => db.close() };
    },
    async close() {},
  };
}
