/**
 * A private, throwaway PostgreSQL cluster that the suite may stop and start at will: the `postgres_unavailable`
 * fault stops a real server mid-load, and the server behind `PECR_DB_URL` may be a user's shared one, which the
 * suite must never stop. So the fault gets a cluster of its own:
 * - the server binaries are found at run time: `pg_config --bindir` first, then the newest
 *   `/usr/lib/postgresql/<version>/bin` (Debian and Ubuntu install them there, off the PATH);
 * - `initdb` creates the data directory under a fresh temporary directory, with `trust` authentication and
 *   `fsync = off`: nothing in it outlives the run, and both only matter for other local users or an operating
 *   system crash, neither of which the fault is about (a stopped server still loses nothing it acknowledged:
 *   its WAL writes are in the kernel's page cache);
 * - the server listens on 127.0.0.1 on a port the OS picked (listen on port 0, read it, close), with its unix
 *   socket in the temporary directory, and keeps that port across restarts (it is written to postgresql.conf);
 * - `stop` is `pg_ctl stop -m fast` (pg_ctl's default mode, and what service managers do): every session ends
 *   with the admin-shutdown error (SQLSTATE 57P01), connections made meanwhile get 57P03, then the port closes.
 *   `-m immediate` (a crash: sessions cut without a word, WAL replay on restart) would mostly repeat what the
 *   TCP-proxy fallback already does to the gateway, and would exercise Postgres's crash recovery, not PECR;
 * - `destroy` stops it (`-m immediate`: nothing is left to preserve) and removes the directory, whatever state
 *   it is in; `pg_ctl` detaches the server from the terminal's process group, so Ctrl-C does not reach it and the
 *   caller must call `destroy` on every way out.
 *
 * Postgres refuses to run as root. When this process is root, every server binary runs as the `postgres` OS
 * user (spawned with that uid and gid, which needs no `runuser`/`su` on the machine) and the temporary directory
 * is handed to that user; otherwise the binaries run as this process's user.
 */
import { type ExecFileOptions, execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, appendFile, chown, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** An OS user the server binaries run as. */
export interface OsUser {
  /** Login name. */
  readonly name: string;
  /** Numeric user id. */
  readonly uid: number;
  /** Numeric primary group id. */
  readonly gid: number;
}

/** A Postgres installation able to run a private cluster. */
export interface PostgresInstall {
  /** The directory holding `initdb`, `pg_ctl` and `postgres`. */
  readonly binDir: string;
  /** The version `pg_ctl --version` reports, e.g. `PostgreSQL 15.8`. */
  readonly version: string;
  /** The user the binaries run as when this process is root; undefined runs them as this process's user. */
  readonly runAs: OsUser | undefined;
}

/** Whether a private cluster can run here: the installation, or why not. */
export type PostgresInstallLookup = { readonly found: true; readonly install: PostgresInstall } | { readonly found: false; readonly reason: string };

/** A running private cluster. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, no password). */
  readonly url: string;
  /** The TCP port on 127.0.0.1, the same across restarts. */
  readonly port: number;
  /** The temporary directory holding the data directory, the unix socket and `server.log`. */
  readonly dir: string;
  /** The installation it runs on. */
  readonly install: PostgresInstall;
  /** Whether the server is up (as far as `stop`, `start` and `destroy` know). */
  readonly running: boolean;
  /** `pg_ctl stop -m fast`, resolving once the server has exited. */
  stop(): Promise<void>;
  /** `pg_ctl start` on the same data directory and port, resolving once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes the directory; idempotent, never rejects. */
  destroy(): Promise<void>;
}

/** The binaries a cluster needs, all in one directory. */
const SERVER_BINARIES = ["initdb", "pg_ctl", "postgres"] as const;
/** Where Debian and Ubuntu put each major version's server binaries (not on the PATH). */
const DEBIAN_VERSIONS_DIR = "/usr/lib/postgresql";
/** Bound on each `initdb` / `pg_ctl` call; `pg_ctl -w` is given a little less, so it reports its own timeout. */
const COMMAND_TIMEOUT_MS = 90_000;
const PG_CTL_WAIT_SECONDS = "60";

function run(file: string, args: readonly string[], options: ExecFileOptions = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: COMMAND_TIMEOUT_MS, encoding: "utf8", ...options }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout: String(stdout), stderr: String(stderr) }));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function hasServerBinaries(dir: string): Promise<boolean> {
  try {
    await Promise.all(SERVER_BINARIES.map((name) => access(join(dir, name), constants.X_OK)));
    return true;
  } catch {
    return false;
  }
}

/** Major-version directory names (`15`, `9.6`), newest first: by number, as `9.6` sorts after `15` as text. */
export function newestFirst(versions: readonly string[]): string[] {
  const key = (version: string) => version.split(".").map(Number);
  return versions
    .filter((version) => /^\d+(\.\d+)*$/.test(version))
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        const diff = (y[i] ?? 0) - (x[i] ?? 0);
        if (diff !== 0) return diff;
      }
      return 0;
    });
}

async function candidateBinDirs(): Promise<string[]> {
  const dirs: string[] = [];
  // pg_config may come from a client-only package whose bindir lacks the server; each candidate is checked.
  const pgConfig = await run("pg_config", ["--bindir"]).catch(() => undefined);
  if (pgConfig !== undefined && pgConfig.stdout.trim() !== "") dirs.push(pgConfig.stdout.trim());
  const versions = await readdir(DEBIAN_VERSIONS_DIR).catch(() => [] as string[]);
  for (const version of newestFirst(versions)) dirs.push(join(DEBIAN_VERSIONS_DIR, version, "bin"));
  return dirs;
}

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Finds server binaries able to run a private cluster (`pg_config --bindir`, then `/usr/lib/postgresql/*\/bin`
 * newest first) and, when this process is root, the `postgres` OS user to run them as. Never throws.
 */
export async function findPostgresInstall(): Promise<PostgresInstallLookup> {
  let binDir: string | undefined;
  for (const dir of await candidateBinDirs()) {
    if (await hasServerBinaries(dir)) {
      binDir = dir;
      break;
    }
  }
  if (binDir === undefined) {
    return { found: false, reason: `no Postgres server binaries (${SERVER_BINARIES.join(", ")}) in pg_config --bindir or ${DEBIAN_VERSIONS_DIR}/*/bin` };
  }
  let runAs: OsUser | undefined;
  if (process.getuid?.() === 0) {
    runAs = await lookUpUser("postgres");
    if (runAs === undefined) return { found: false, reason: `running as root, which Postgres refuses, and there is no "postgres" OS user to run ${binDir} as` };
  }
  const version = await run(join(binDir, "pg_ctl"), ["--version"]).then(
    (result) => result.stdout.trim().replace(/^pg_ctl\s+\(PostgreSQL\)\s*/, "PostgreSQL "),
    () => undefined,
  );
  if (version === undefined) return { found: false, reason: `${join(binDir, "pg_ctl")} --version failed` };
  return { found: true, install: { binDir, version, runAs } };
}

/** A free TCP port on 127.0.0.1, as the OS hands one out (another process may take it before it is used). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A postgresql.conf string literal. */
function confString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Starts a fresh private cluster on `install`; on failure, whatever was created is removed before rejecting. */
export async function startPrivatePostgres(install: PostgresInstall): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "pecr-pg-"));
  const dataDir = join(dir, "data");
  const logFile = join(dir, "server.log");
  const { runAs } = install;
  // The server's user must own the directory; cwd is set there too, as that user may not be able to read ours.
  const as: ExecFileOptions = { cwd: dir, ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }) };
  const pgCtl = (...args: string[]) => run(join(install.binDir, "pg_ctl"), ["-D", dataDir, ...args], as);
  const logTail = async () => (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n").slice(-8).join(" | ");
  const failure = async (what: string, error: unknown) => {
    const stderr = (error as { stderr?: string }).stderr?.trim().replace(/\s*\n\s*/g, " ");
    const log = await logTail();
    return new Error(`private Postgres: ${what} failed: ${stderr || String(error)}${log ? `; server.log: ${log}` : ""}`);
  };

  let running = false;
  let destroying: Promise<void> | undefined;
  // Stops whatever may run, not only what `running` says: a `pg_ctl start` that timed out may have left a server.
  const destroy = () =>
    (destroying ??= (async () => {
      // Fails when no server runs, which is fine. A server pg_ctl could not stop is not killed by pid (the pid
      // file may be stale and the pid reused): it shuts itself down once it finds its lock file gone (checked
      // every minute), and the error says so.
      await pgCtl("stop", "-m", "immediate", "-w", "-t", PG_CTL_WAIT_SECONDS).catch((error: unknown) => {
        if (running) console.error(`private Postgres: pg_ctl stop -m immediate failed (the server exits within a minute of losing ${dataDir}): ${String(error)}`);
      });
      running = false;
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) => console.error(`private Postgres: cannot remove ${dir}: ${String(error)}`));
    })());

  try {
    if (runAs !== undefined) await chown(dir, runAs.uid, runAs.gid);
    await run(join(install.binDir, "initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], as).catch(async (error: unknown) => {
      throw await failure("initdb", error);
    });
    const port = await freePort();
    // Appending keeps the file's owner (the server's user) and wins over initdb's defaults, which come first.
    await appendFile(
      join(dataDir, "postgresql.conf"),
      [
        "",
        "# pecr perf suite: a private, throwaway cluster (scripts/perf/suite7/private-postgres.ts)",
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = ${confString(dir)}`,
        "fsync = off",
        "",
      ].join("\n"),
    );
    const start = async () => {
      try {
        await pgCtl("start", "-l", logFile, "-w", "-t", PG_CTL_WAIT_SECONDS);
      } catch (error) {
        throw await failure(`pg_ctl start (port ${port})`, error);
      }
      running = true;
    };
    await start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dir,
      install,
      get running() {
        return running;
      },
      async stop() {
        try {
          await pgCtl("stop", "-m", "fast", "-w", "-t", PG_CTL_WAIT_SECONDS);
        } catch (error) {
          throw await failure("pg_ctl stop -m fast", error);
        }
        running = false;
      },
      start,
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
