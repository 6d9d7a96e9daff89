import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import test from "ava";
import { LedgerConfigError } from "./database.js";
import { readLedgerConfig } from "./ledger-config.js";

test("without a database URL the ledger is embedded under the data directory", (t) => {
  const config = readLedgerConfig({});
  t.deepEqual(config.database, { kind: "pglite", dataDir: join(".pecr", "ledger") });
  t.is(config.schema, "public");
  t.is(config.signingKey, undefined);
  t.is(config.checkpointEvery, 1000);
  t.is(config.evidencePayloads, "metadata-only");
  t.deepEqual(readLedgerConfig({ PECR_DATA_DIR: "/srv/pecr" }).database, { kind: "pglite", dataDir: join("/srv/pecr", "ledger") });
});

test("a database URL selects Postgres with the configured schema, role and key", (t) => {
  const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const config = readLedgerConfig({
    PECR_DB_URL: "postgres://app@db/pecr",
    PECR_DB_SCHEMA: "ledger",
    PECR_DB_APP_ROLE: "pecr_app",
    PECR_LEDGER_SIGNING_KEY: pem,
    PECR_LEDGER_CHECKPOINT_EVERY_EVENTS: "0",
    PECR_EVIDENCE_PAYLOAD_STORE_MODE: "payload-enabled",
  });
  t.deepEqual(config.database, { kind: "postgres", url: "postgres://app@db/pecr", appRole: "pecr_app" });
  t.is(config.schema, "ledger");
  t.is(config.signingKey?.asymmetricKeyType, "ed25519");
  t.is(config.checkpointEvery, 0);
  t.is(config.evidencePayloads, "payload-enabled");
});

test("invalid settings are refused at start-up", (t) => {
  t.throws(() => readLedgerConfig({ PECR_EVIDENCE_PAYLOAD_STORE_MODE: "all" }), { instanceOf: LedgerConfigError });
  t.throws(() => readLedgerConfig({ PECR_LEDGER_CHECKPOINT_EVERY_EVENTS: "-1" }), { instanceOf: LedgerConfigError });
});
