/**
 * Registers an end-to-end suite once per ledger backend: always on embedded PGlite, and on real Postgres when
 * `PECR_TEST_DB_URL` is set. Without it the Postgres half is registered as a skipped test whose title says why,
 * so a run never reports a database suite as passed when it did not run.
 */
import type { TestFn } from "ava";
import type { Backend } from "../../support/gateway-harness.js";

/** What a suite registration receives for one backend. */
export interface BackendTarget {
  /** The backend. */
  readonly backend: Backend;
  /** Title prefix, e.g. `[pglite] `. */
  readonly prefix: string;
}

/** Calls `register` for each available backend; registers a skipped test named `suite` for a missing one. */
export function forEachBackend(test: TestFn, suite: string, register: (target: BackendTarget) => void): void {
  register({ backend: "pglite", prefix: "[pglite] " });
  if (process.env.PECR_TEST_DB_URL) {
    register({ backend: "postgres", prefix: "[postgres] " });
  } else {
    test.skip(`[postgres] ${suite} (set PECR_TEST_DB_URL to run it on real Postgres)`, () => undefined);
  }
}
