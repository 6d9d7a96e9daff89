/**
 * The ledger database embedded in the process, on PGlite (PostgreSQL compiled to WebAssembly): in memory, or
 * persisted in a data directory. The SQL, the migrations and the triggers are the same as on a real server.
 *
 * PGlite is a single connection. Its `transaction()` and its top-level `query()` share one internal mutex, so
 * transactions are serialised and a statement issued outside a transaction waits until the running one ends;
 * the adapter relies on that instead of adding a second lock. Code inside a transaction must use the `tx` it
 * was given (a top-level query from inside would wait for itself).
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { identifier } from "@electric-sql/pglite/template";
import { checkIdentifier, type LedgerDatabase, type SqlExecutor, type SqlTransaction, type SqlValue } from "./database.js";

/** Where the embedded database lives. */
export interface PgliteDatabaseOptions {
  /** Data directory; unset keeps the database in memory (tests). */
  readonly dataDir?: string | undefined;
  /** Schema to use (created by `ensureSchema`). */
  readonly schema: string;
  /** Start from a dump made by `dump()` (much faster than initialising a new database); in memory only. */
  readonly loadDataDir?: Blob | undefined;
}

/** The embedded database, which can also be dumped. */
export interface PgliteLedgerDatabase extends LedgerDatabase {
  /** A tarball of the whole data directory (for backups, or as a template for fast test databases). */
  dump(): Promise<Blob>;
}

/** The int8 type's oid: parsed to `bigint`, like the postgres.js adapter does. */
const INT8_OID = 20;

/** Starts PGlite (a few seconds for a new data directory) and selects the schema. */
export async function openPgliteDatabase(options: PgliteDatabaseOptions): Promise<PgliteLedgerDatabase> {
  const schema = checkIdentifier(options.schema, "schema");
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
    parsers: { [INT8_OID]: (value: string) => BigInt(value) },
  });
  await db.sql`SELECT set_config('search_path', ${schema}, false)`;

  return {
    backend: "pglite",
    schema,
    sql: (async <Row extends object>(strings: TemplateStringsArray, ...values: SqlValue[]) =>
      (await db.sql<Row>(strings, ...values)).rows) as SqlExecutor,
    begin: <T>(fn: (tx: SqlTransaction) => Promise<T>) =>
      db.transaction(async (tx) => {
        const executor = (async <Row extends object>(strings: TemplateStringsArray, ...values: SqlValue[]) =>
          (await tx.sql<Row>(strings, ...values)).rows) as SqlExecutor;
        return fn(
          Object.assign(executor, {
            async script(text: string) {
              await tx.exec(text);
            },
          }),
        );
      }),
    async ensureSchema() {
      await db.sql`CREATE SCHEMA IF NOT EXISTS ${identifier`${schema}`}`;
    },
    async close() {
      await db.close();
    },
    async dump() {
      return db.dumpDataDir("none");
    },
  };
}
