/**
 * The small database interface the ledger talks to, with one adapter per backend (postgres.js, PGlite).
 *
 * Queries are tagged templates whose interpolations are always bound parameters, never spliced into the text:
 * `tx<Row>`select seq from pecr_events where session_id = ${id}``. Both drivers take the template as it is
 * written. Values are restricted to types both drivers bind the same way; arrays travel as `text[]` and are
 * cast in SQL (`${seqs}::text[]::bigint[]`), timestamps as ISO text (`${iso}::text::timestamptz`), because the
 * drivers differ in how they infer array and date parameter types (postgres.js rounds dates to milliseconds).
 */
import type { PostgresDatabaseOptions } from "./postgres-database.js";

/** A value bound as a query parameter. */
export type SqlValue = string | number | bigint | boolean | Uint8Array | null | readonly (string | null)[];

/** Runs one statement: a tagged template whose interpolations are bound parameters. */
export interface SqlExecutor {
  /** Runs the statement and returns its rows (int8 columns as `bigint`, bytea as `Uint8Array`). */
  <Row extends object = Record<string, unknown>>(strings: TemplateStringsArray, ...values: SqlValue[]): Promise<Row[]>;
}

/** A transaction: statements on one connection, committed when the callback resolves. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Runs a multi-statement SQL script with no parameters. Only for migration files read from db/migrations;
   * never for text built at run time.
   */
  script(text: string): Promise<void>;
}

/** Which backend a database runs on. */
export type DatabaseBackend = "postgres" | "pglite";

/** A connection (pool) to the ledger's schema. */
export interface LedgerDatabase {
  /** The backend. */
  readonly backend: DatabaseBackend;
  /** The schema the connection uses (first in `search_path`). */
  readonly schema: string;
  /** How to open the same database from another thread (postgres only; PGlite lives in one thread). */
  readonly connection?: PostgresDatabaseOptions | undefined;
  /** Runs one statement outside an explicit transaction. */
  readonly sql: SqlExecutor;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  begin<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Runs statements whose loss in a crash is harmless (session leases: they expire anyway) with asynchronous
   * commit, so they do not wait for a disk flush. Ledger records never go through it. Undefined where every commit
   * costs the same (PGlite); use `sql` then.
   */
  readonly ephemeral?: SqlExecutor | undefined;
  /** Creates the schema if it does not exist (needs the owner's privileges). */
  ensureSchema(): Promise<void>;
  /** Closes the connections. */
  close(): Promise<void>;
}

/** LedgerConfigError is thrown for an unusable ledger configuration (bad schema name, unreadable key). */
export class LedgerConfigError extends Error {
  override readonly name = "LedgerConfigError";
}

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Returns `name` (a schema or role name) if it is a plain lower-case identifier. Other names are refused rather
 * than quoted, so a name means the same thing in `search_path`, in startup parameters and in SQL on both backends.
 */
export function checkIdentifier(name: string, what: "schema" | "role"): string {
  if (!PLAIN_IDENTIFIER.test(name)) {
    throw new LedgerConfigError(`${what} name must match ${PLAIN_IDENTIFIER.source}`);
  }
  return name;
}
