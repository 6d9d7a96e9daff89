/**
 * How the `postgres_unavailable` fault takes Postgres away in this run (`PECR_PERF_PG_FAULT`, default `auto`):
 * a real stop of a private cluster when one can run here (on either ledger backend), else the TCP proxy in front
 * of PECR_DB_URL's server; `stop` refuses the fallback (the scenario fails rather than pass without a stop) and
 * `proxy` forces it.
 */
import type { PostgresInstall, PostgresInstallLookup } from "./private-postgres.js";
import type { PgFaultMechanism } from "./suite-options.js";

/** The mechanism that runs. */
export type PgOutageMechanism =
  /** Stop and restart a private cluster of this installation. */
  | { readonly kind: "stop"; readonly install: PostgresInstall }
  /** Cut and restore the TCP proxy in front of PECR_DB_URL's server, for the reason given. */
  | { readonly kind: "proxy"; readonly why: string };

/** The mechanism, or why the fault cannot run: `skip` when nothing forced it, `fail` when `stop` was asked for. */
export type PgOutageChoice = { readonly mechanism: PgOutageMechanism } | { readonly skip: string } | { readonly fail: string };

/** Chooses for a stack on `backend`; `lookUp` (findPostgresInstall) is only called when a stop is possible. */
export async function choosePgOutage(
  backend: "postgres" | "pglite",
  setting: PgFaultMechanism,
  lookUp: () => Promise<PostgresInstallLookup>,
): Promise<PgOutageChoice> {
  if (setting === "proxy") {
    if (backend === "postgres") return { mechanism: { kind: "proxy", why: "forced by PECR_PERF_PG_FAULT=proxy" } };
    return { skip: "PECR_PERF_PG_FAULT=proxy, and the TCP proxy needs a real Postgres to stand in front of (set PECR_DB_URL)" };
  }
  const lookup = await lookUp();
  if (lookup.found) return { mechanism: { kind: "stop", install: lookup.install } };
  // Asked for a real stop: a fallback would pass without having stopped anything.
  if (setting === "stop") return { fail: `PECR_PERF_PG_FAULT=stop, but no private Postgres cluster can run here: ${lookup.reason}` };
  if (backend === "postgres") return { mechanism: { kind: "proxy", why: `the fallback: ${lookup.reason}` } };
  return { skip: `${lookup.reason} to run a private cluster, and the TCP-proxy fallback needs a real Postgres (set PECR_DB_URL)` };
}
