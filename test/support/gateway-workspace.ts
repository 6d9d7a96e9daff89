/**
 * What every test that starts a gateway prepares first: a temp directory with a private copy of the fixture
 * corpus (tests may change its files), the configuration that points a gateway at it with rate limits off, and, on
 * the Postgres backend, a fresh schema of the server named by `PECR_TEST_DB_URL`.
 */
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

/** A temp directory prepared for a gateway. */
export interface GatewayWorkspace {
  /** The directory (the caller removes it). */
  readonly dir: string;
  /** The corpus copy inside it. */
  readonly corpusDir: string;
  /** Gateway configuration: local auth, data directory, corpus, policy bundle, no rate limits. */
  readonly env: Record<string, string>;
}

/** Creates a workspace in a new temp directory named after `prefix`. */
export function createGatewayWorkspace(prefix: string): GatewayWorkspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const corpusDir = join(dir, "corpus");
  cpSync(new URL("../../fixtures/fs_corpus", import.meta.url), corpusDir, { recursive: true });
  return {
    dir,
    corpusDir,
    env: {
      PECR_AUTH_MODE: "local",
      PECR_DATA_DIR: join(dir, "data"),
      PECR_FS_CORPUS_PATH: corpusDir,
      PECR_POLICY_BUNDLE_DIR: new URL("../../opa/bundle", import.meta.url).pathname,
      PECR_RATE_LIMIT_SESSIONS_PER_WINDOW: "0",
      PECR_RATE_LIMIT_OPERATORS_PER_WINDOW: "0",
      PECR_RATE_LIMIT_FINALIZE_PER_WINDOW: "0",
      PECR_RATE_LIMIT_AUDIT_PER_WINDOW: "0",
    },
  };
}

/** A fresh schema of the test Postgres. */
export interface TestSchema {
  /** The server's URL. */
  readonly url: string;
  /** The schema's name. */
  readonly name: string;
  /** A connection whose search path is the schema. */
  readonly sql: postgres.Sql;
  /** Drops the schema and closes the connection. */
  drop(): Promise<void>;
}

let schemaCounter = 0;

/** Creates a schema named after `prefix`; throws when `PECR_TEST_DB_URL` is not set (a suite never passes without it). */
export async function createTestSchema(prefix: string): Promise<TestSchema> {
  const url = process.env.PECR_TEST_DB_URL;
  if (url === undefined || url === "") throw new Error("PECR_TEST_DB_URL is not set");
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${schemaCounter++}`;
  const sql = postgres(url, { onnotice: () => undefined, connection: { search_path: name } });
  await sql.unsafe(`CREATE SCHEMA ${name}`);
  return {
    url,
    name,
    sql,
    async drop() {
      await sql.unsafe(`DROP SCHEMA ${name} CASCADE`);
      await sql.end();
    },
  };
}
