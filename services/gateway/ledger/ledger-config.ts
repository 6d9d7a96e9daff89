/**
 * The ledger's configuration from the environment:
 * - `PECR_DB_URL`: a PostgreSQL server; unset means embedded PGlite in `<PECR_DATA_DIR>/ledger` (the gateway's
 *   directory of embedded data, default `.pecr`, so `.pecr/ledger`);
 * - `PECR_DB_SCHEMA` (default `public`); `PECR_DB_APP_ROLE`: the role the ledger switches to on a server;
 * - `PECR_LEDGER_SIGNING_KEY` (Ed25519 private key as PEM, or a path to a PEM file) or
 *   `PECR_LEDGER_SIGNING_KEY_PATH`; `PECR_LEDGER_CHECKPOINT_EVERY_EVENTS` (events between automatic
 *   checkpoints, default 1000; 0 disables them);
 * - `PECR_EVIDENCE_PAYLOAD_STORE_MODE`: `metadata-only` (default) or `payload-enabled`.
 */
import type { KeyObject } from "node:crypto";
import { join } from "node:path";
import { LedgerConfigError } from "./database.js";
import { loadSigningKey } from "./checkpoints.js";
import type { EvidencePayloadMode } from "./ledger-types.js";

/** Where the ledger's database is. */
export type LedgerDatabaseConfig =
  | { readonly kind: "postgres"; readonly url: string; readonly appRole: string | undefined }
  | { readonly kind: "pglite"; readonly dataDir: string };

/** The ledger's configuration. */
export interface LedgerConfig {
  /** The database. */
  readonly database: LedgerDatabaseConfig;
  /** The schema. */
  readonly schema: string;
  /** The checkpoint signing key, if configured. */
  readonly signingKey: KeyObject | undefined;
  /** Events between automatic checkpoints (0: none). */
  readonly checkpointEvery: number;
  /** Evidence storage mode. */
  readonly evidencePayloads: EvidencePayloadMode;
}

/** Default directory of embedded data; the ledger lives in its `ledger` subdirectory. */
export const DEFAULT_DATA_DIR = ".pecr";

/** Reads the configuration; throws LedgerConfigError for invalid values. */
export function readLedgerConfig(env: Readonly<Record<string, string | undefined>>): LedgerConfig {
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const url = value("PECR_DB_URL");
  const database: LedgerDatabaseConfig =
    url === undefined
      ? { kind: "pglite", dataDir: join(value("PECR_DATA_DIR") ?? DEFAULT_DATA_DIR, "ledger") }
      : { kind: "postgres", url, appRole: value("PECR_DB_APP_ROLE") };
  const keySource = value("PECR_LEDGER_SIGNING_KEY") ?? value("PECR_LEDGER_SIGNING_KEY_PATH");
  const every = value("PECR_LEDGER_CHECKPOINT_EVERY_EVENTS") ?? "1000";
  if (!/^\d+$/.test(every)) throw new LedgerConfigError("PECR_LEDGER_CHECKPOINT_EVERY_EVENTS must be a whole number");
  const mode = value("PECR_EVIDENCE_PAYLOAD_STORE_MODE") ?? "metadata-only";
  if (mode !== "metadata-only" && mode !== "payload-enabled") {
    throw new LedgerConfigError("PECR_EVIDENCE_PAYLOAD_STORE_MODE must be metadata-only or payload-enabled");
  }
  return {
    database,
    schema: value("PECR_DB_SCHEMA") ?? "public",
    signingKey: keySource === undefined ? undefined : loadSigningKey(keySource),
    checkpointEvery: Number(every),
    evidencePayloads: mode,
  };
}
