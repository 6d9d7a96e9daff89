/**
 * The ledger's Postgres driver when the server ends a session (patches/postgres+3.4.9.patch): Postgres sends its
 * error (57P01, as on a shutdown or `pg_terminate_backend`) and closes the connection. postgres.js 3.4.9 kept that
 * error and failed the first query of the next connection with it, so after a database restart the first ledger
 * write failed once more. Patched, the error goes to the query that was running, and the next query succeeds.
 * Needs a real server (`PECR_TEST_DB_URL`).
 */
import test from "ava";
import postgres from "postgres";

const url = process.env.PECR_TEST_DB_URL;

if (url === undefined || url === "") {
  test.skip("a session ended by the server (skipped: PECR_TEST_DB_URL is not set)", () => undefined);
} else {
  test("a session the server ends fails the query running on it with the server's error, and only that query", async (t) => {
    const sql = postgres(url, { max: 1, backoff: () => 0, onnotice: () => undefined });
    const admin = postgres(url, { max: 1, onnotice: () => undefined });
    t.teardown(async () => {
      await sql.end({ timeout: 1 });
      await admin.end({ timeout: 1 });
    });
    const [session] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    const running = sql`SELECT pg_sleep(30)`.then(
      () => undefined,
      (error: unknown) => error as { code?: string },
    );
    // Wait until the sleep is running on that backend (bounded), so the termination lands on a query in flight.
    const deadline = Date.now() + 10_000;
    while ((await admin`SELECT 1 FROM pg_stat_activity WHERE pid = ${session!.pid} AND state = 'active'`).length === 0) {
      if (Date.now() > deadline) return t.fail("the query never started");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await admin`SELECT pg_terminate_backend(${session!.pid})`;

    t.like(await running, { code: "57P01" }, "the running query gets the server's reason");
    const [next] = await sql<{ ok: number }[]>`SELECT 1 AS ok`;
    t.is(next?.ok, 1, "the first query on the new connection succeeds");
    const [fresh] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    t.not(fresh?.pid, session!.pid);
  });
}
