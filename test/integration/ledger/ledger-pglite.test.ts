/**
 * The ledger suite on embedded PGlite (always runs).
 */
import { pgliteBackend } from "./ledger-harness.js";
import { registerLedgerSuite } from "./ledger-suite.js";

registerLedgerSuite(pgliteBackend());
