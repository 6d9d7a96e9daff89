/**
 * The ledger database on a real PostgreSQL server, through postgres.js. The schema is selected per connection
 * with the `search_path` startup parameter; when an application role is configured every connection also starts
 * with `role` set to it (the equivalent of `SET ROLE`), so the ledger runs with that role's grants only.
 */
import postgres from "postgres";
import { checkIdentifier, type LedgerDatabase, type SqlExecutor, type SqlTransaction, type SqlValue } from "./database.js";

/** How to reach the server. */
export interface PostgresDatabaseOptions {
  /** Connection URL (`postgres://user@host:port/db`). */
  readonly url: string;
  /** Schema to use (created by `ensureSchema`). */
  readonly schema: string;
  /** Role every connection switches to (`PECR_DB_APP_ROLE`); unset keeps the URL's user. */
  readonly appRole?: string | undefined;
  /** Pool size (default 10). */
  readonly maxConnections?: number | undefined;
  /** Connect timeout in seconds (default 10). */
  readonly connectTimeoutSeconds?: number | undefined;
}

/** Opens a connection pool (lazily: the first query connects). */
export function createPostgresDatabase(options: PostgresDatabaseOptions): LedgerDatabase {
  const schema = checkIdentifier(options.schema, "schema");
  const connection: Record<string, string> = { search_path: schema };
  if (options.appRole !== undefined && options.appRole !== "") connection["role"] = checkIdentifier(options.appRole, "role");
  const sql = postgres(options.url, {
    max: options.maxConnections ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    connection,
    types: { bigint: postgres.BigInt },
    onnotice: () => undefined,
    backoff: reconnectDelaySeconds,
  });

  // A small second pool with asynchronous commit for ephemeral writes (see LedgerDatabase.ephemeral).
  const ephemeral = postgres(options.url, {
    max: 2,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    connection: { ...connection, synchronous_commit: "off" },
    types: { bigint: postgres.BigInt },
    onnotice: () => undefined,
    backoff: reconnectDelaySeconds,
  });

  return {
    backend: "postgres",
    ephemeral: executorOf(ephemeral),
    schema,
    connection: { ...options, maxConnections: 2 },
    sql: executorOf(sql),
    begin: <T>(fn: (tx: SqlTransaction) => Promise<T>) =>
      sql.begin((tx) => fn(transactionOf(tx))) as Promise<T>,
    async ensureSchema() {
      await sql`CREATE SCHEMA IF NOT EXISTS ${sql(schema)}`;
    },
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), ephemeral.end({ timeout: 5 })]);
    },
  };
}

/** The longest wait before a closed connection reconnects. */
const MAX_RECONNECT_DELAY_SECONDS = 1;

/**
 * Seconds to wait before reconnecting after `retries` failed connections in a row (shared by the pool), with
 * jitter. The driver's default grows to 20 s, so after an outage of a few seconds the pool sat idle long after
 * the server was back; capped at one second, the ledger resumes within about a second of the server returning.
 */
export function reconnectDelaySeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, MAX_RECONNECT_DELAY_SECONDS);
}

type Driver = postgres.Sql<{ bigint: bigint }> | postgres.TransactionSql<{ bigint: bigint }>;

function executorOf(sql: Driver): SqlExecutor {
  return (<Row extends object>(strings: TemplateStringsArray, ...values: SqlValue[]) =>
    // postgres.js takes the template itself: the interpolations become $1..$n parameters.
    sql(strings, ...(values as postgres.ParameterOrFragment<never>[])) as unknown as Promise<Row[]>) as SqlExecutor;
}

function transactionOf(tx: postgres.TransactionSql<{ bigint: bigint }>): SqlTransaction {
  const executor = executorOf(tx);
  return Object.assign(executor, {
    async script(text: string) {
      // The simple-query protocol runs a whole migration file (many statements, no parameters).
      await tx.unsafe(text);
    },
  });
}
