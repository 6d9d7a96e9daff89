/**
 * The safe-view runner's contract on a real Postgres server, on a pool of one connection so that what one query
 * leaves behind is what the next one sees: each read runs under the statement timeout and the caller's tenant, and
 * neither setting outlives its transaction. (PGlite ignores statement_timeout, and its single connection is covered
 * by the gateway suite's tenant tests, so this file needs the real server.)
 */
import { readFileSync } from "node:fs";
import anyTest, { type TestFn } from "ava";
import { PecrError } from "#core/errors/pecr-error.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { fetchRowsStatement } from "../../../services/gateway/adapters/pg-safeview/safe-view-sql.js";
import { createSafeViewRunner, type SafeViewRunner } from "../../../services/gateway/adapters/pg-safeview/safe-view-runner.js";
import { FIXTURE_SAFE_VIEWS } from "../../../services/gateway/adapters/pg-safeview/view-specs.js";
import type { LedgerDatabase } from "../../../services/gateway/ledger/database.js";
import { createPostgresDatabase } from "../../../services/gateway/ledger/postgres-database.js";
import { createTestSchema, type TestSchema } from "../../support/gateway-workspace.js";

interface Context {
  schema: TestSchema;
  db: LedgerDatabase;
  runner: SafeViewRunner;
}

const test = anyTest as TestFn<Context>;
const spec = (viewId: string) => FIXTURE_SAFE_VIEWS.find((view) => view.viewId === viewId)!;
const publicRow = fetchRowsStatement(spec("safe_customer_view_public"), [["customer_id", "cust_public_1"]], 10);
const slowRow = fetchRowsStatement(spec("safe_customer_view_public_slow"), [["customer_id", "cust_public_1"]], 10);

if (process.env.PECR_TEST_DB_URL) {
  test.before(async (t) => {
    const schema = await createTestSchema("pecr_safeview");
    await schema.sql.unsafe(readFileSync(new URL("../../../db/fixtures/safeview.sql", import.meta.url), "utf8"));
    const db = createPostgresDatabase({ url: schema.url, schema: schema.name, maxConnections: 1 });
    t.context = { schema, db, runner: createSafeViewRunner(db, 10_000) };
  });
  test.after.always(async (t) => {
    await t.context.db?.close();
    await t.context.schema?.drop();
  });

  test.serial("a read runs as the caller's tenant, and a view read without a tenant returns nothing", async (t) => {
    t.is((await t.context.runner.query(publicRow, "another_tenant", 5000)).length, 0);
    const rows = await t.context.runner.query(publicRow, "local", 5000);
    t.deepEqual(rows.map((row) => [row.customer_id, row.status]), [["cust_public_1", "active"]]);
    t.is((await t.context.db.sql`SELECT customer_id FROM safe_customer_view_public`).length, 0, "the tenant outlived its read");
  });

  test.serial("a read slower than its statement timeout fails as source-unavailable, and the timeout ends with it", async (t) => {
    const started = performance.now();
    const error = await t.throwsAsync(t.context.runner.query(slowRow, "local", 50), { instanceOf: PecrError });
    t.like(error, { code: "ERR_SOURCE_UNAVAILABLE", hint: TerminalMode.SOURCE_UNAVAILABLE });
    // The view sleeps 200 ms; only the statement timeout can have ended the read well before the 10 s bound.
    t.true(performance.now() - started < 5000);
    const [settings] = await t.context.db.sql<{ timeout: string; tenant: string | null }>`
      SELECT current_setting('statement_timeout') AS timeout, current_setting('pecr.tenant_id', true) AS tenant`;
    t.not(settings?.timeout, "50ms", "the statement timeout outlived its read");
    t.falsy(settings?.tenant, "the tenant outlived its read");
    // The connection is usable again, and a generous timeout lets the slow view answer.
    t.is((await t.context.runner.query(slowRow, "local", 5000)).length, 1);
  });
} else {
  test.skip("safe-view runner on real Postgres (set PECR_TEST_DB_URL)", () => undefined);
}
