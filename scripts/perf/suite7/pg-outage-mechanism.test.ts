/**
 * Which mechanism the Postgres outage uses, for each backend, PECR_PERF_PG_FAULT value and installation.
 */
import test from "ava";
import { choosePgOutage } from "./pg-outage-mechanism.js";
import type { PostgresInstallLookup } from "./private-postgres.js";

const install = { binDir: "bin", version: "PostgreSQL 15", runAs: undefined };
const found = async (): Promise<PostgresInstallLookup> => ({ found: true, install });
const missing = async (): Promise<PostgresInstallLookup> => ({ found: false, reason: "no Postgres server binaries" });

test("by default a private cluster is stopped wherever one can run, on PGlite as on Postgres", async (t) => {
  t.deepEqual(await choosePgOutage("postgres", "auto", found), { mechanism: { kind: "stop", install } });
  t.deepEqual(await choosePgOutage("pglite", "auto", found), { mechanism: { kind: "stop", install } });
});

test("without server binaries the fault falls back to the TCP proxy on Postgres and is skipped on PGlite, saying why", async (t) => {
  t.deepEqual(await choosePgOutage("postgres", "auto", missing), { mechanism: { kind: "proxy", why: "the fallback: no Postgres server binaries" } });
  const skipped = await choosePgOutage("pglite", "auto", missing);
  t.true("skip" in skipped && /no Postgres server binaries.*set PECR_DB_URL/.test(skipped.skip));
});

test("PECR_PERF_PG_FAULT=proxy forces the proxy without looking for binaries, and needs PECR_DB_URL", async (t) => {
  const lookUp = async (): Promise<PostgresInstallLookup> => t.fail("looked for binaries") as never;
  t.deepEqual(await choosePgOutage("postgres", "proxy", lookUp), { mechanism: { kind: "proxy", why: "forced by PECR_PERF_PG_FAULT=proxy" } });
  const skipped = await choosePgOutage("pglite", "proxy", lookUp);
  t.true("skip" in skipped && /PECR_PERF_PG_FAULT=proxy.*PECR_DB_URL/.test(skipped.skip));
});

test("PECR_PERF_PG_FAULT=stop fails the scenario instead of falling back when no cluster can run", async (t) => {
  t.deepEqual(await choosePgOutage("postgres", "stop", found), { mechanism: { kind: "stop", install } });
  const failed = await choosePgOutage("postgres", "stop", missing);
  t.true("fail" in failed && /PECR_PERF_PG_FAULT=stop.*no Postgres server binaries/.test(failed.fail));
});
