/**
 * The ledger suite on a real PostgreSQL server (`PECR_TEST_DB_URL`); one schema per test, the ledger connected
 * with the application role. Without the variable the suite is registered as skipped, never silently passing.
 */
import test from "ava";
import { postgresBackend } from "./ledger-harness.js";
import { registerLedgerSuite } from "./ledger-suite.js";

const url = process.env["PECR_TEST_DB_URL"];
if (url === undefined || url === "") {
  test.skip("ledger suite on real Postgres (skipped: PECR_TEST_DB_URL is not set)", () => undefined);
} else {
  registerLedgerSuite(postgresBackend(url));
}
