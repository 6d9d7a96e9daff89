/**
 * compose.yaml's PECR services, run natively. There is no container engine here, so this test reads the gateway
 * and controller definitions from compose.yaml — command, environment after compose's `${VAR:-default}` and
 * `${VAR:?error}` interpolation, published ports, volumes — maps what lives in other containers onto local stand-ins
 * (the test Postgres for `postgres`, `pecr opa-serve` over the same mounted bundle for `opa`, the mounted host
 * directories for container paths, port 0 for published ports), starts each service with the Dockerfile's
 * entrypoint, and then follows compose.yaml's header: `pecr run` with the exported secret gets an answer.
 * A renamed variable, a wrong value or a command that no longer exists fails here, as it would in a container.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test, { type ExecutionContext } from "ava";
import postgres from "postgres";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SECRET = "compose-test-secret-0123456789abcdef";
const execFileAsync = promisify(execFile);

interface ComposeService {
  readonly build?: string;
  readonly command?: string[];
  readonly environment?: Record<string, string | number | boolean>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly read_only?: boolean;
  readonly cap_drop?: string[];
}

const compose = parse(readFileSync(`${ROOT}compose.yaml`, "utf8"), { merge: true }) as { services: Record<string, ComposeService> };

/** Compose's variable interpolation: `${NAME}`, `${NAME:-default}`, `${NAME:?error}` and `$$`. */
function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (match, name: string | undefined, kind, rest: string) => {
    if (match === "$$") return "$";
    const set = env[name!];
    if (kind === "-") return set === undefined || set === "" ? rest : set;
    if (kind === "?" && (set === undefined || set === "")) throw new Error(`${name}: ${rest}`);
    return set ?? "";
  });
}

/** A service's environment as compose would pass it, given the host's exported variables. */
function serviceEnvironment(service: ComposeService, host: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), host)]));
}

/** The container path → host path mounts of a service's bind volumes (`./host:/container[:ro]`). */
function bindMounts(service: ComposeService): [string, string][] {
  return (service.volumes ?? []).flatMap((volume) => {
    const [host, container] = volume.split(":");
    return host?.startsWith("./") && container !== undefined ? [[container, `${ROOT}${host.slice(2)}`] as [string, string]] : [];
  });
}

/** The Dockerfile's ENTRYPOINT, with `node` as this Node. */
function entrypoint(): string[] {
  const line = readFileSync(`${ROOT}Dockerfile`, "utf8").split("\n").find((text) => text.startsWith("ENTRYPOINT "));
  const command = JSON.parse(line!.slice("ENTRYPOINT ".length)) as string[];
  return command[0] === "node" ? [process.execPath, ...command.slice(1)] : command;
}

/** Starts a process in the repository (the image's WORKDIR) and resolves with the first match of `pattern` on stdout. */
async function startProcess(t: ExecutionContext, argv: string[], env: Record<string, string>, pattern: RegExp): Promise<string> {
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => void child.kill("SIGTERM"));
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = pattern.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`${argv.slice(-1)[0]} exited with ${code}: ${stderr.join("").slice(-2000)}`)));
  });
}

/** The published container port of a `127.0.0.1:HOST:CONTAINER` entry. */
function containerPort(service: ComposeService): string {
  const published = service.ports?.[0]?.split(":");
  return published?.[published.length - 1] ?? "";
}

/** `pecr run` the way compose.yaml's header says, with `env` added. */
async function pecrRun(controllerUrl: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["--import=tsx", "scripts/pecr.ts", "run", "What are the support hours?", "--url", controllerUrl], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test("the image's files are all in the build context the Dockerfile copies", (t) => {
  const ignored = readFileSync(`${ROOT}.dockerignore`, "utf8").split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
  for (const needed of ["package.json", "package-lock.json", "patches", "tsconfig.json", "scripts", "services", "gen", "proto", "opa", "db", "fixtures"]) {
    t.false(ignored.includes(needed) || ignored.includes(`${needed}/`), `${needed} is excluded by .dockerignore`);
  }
  t.deepEqual(entrypoint().slice(1), ["--import=tsx", "scripts/pecr.ts"]);
});

test("compose's gateway and controller, run from their compose definitions, answer `pecr run` with the exported secret", async (t) => {
  const dbUrl = process.env.PECR_TEST_DB_URL;
  if (dbUrl === undefined || dbUrl === "") throw new Error("PECR_TEST_DB_URL is not set");
  const { gateway, controller, opa, postgres: database } = compose.services;
  t.truthy(gateway && controller && opa && database, "compose.yaml defines postgres, opa, gateway and controller");
  for (const [name, service] of [["gateway", gateway!], ["controller", controller!]] as const) {
    t.deepEqual(service.command, [name], `${name} runs \`pecr ${name}\``);
    t.is(service.build, ".");
    t.true(service.read_only);
    t.deepEqual(service.cap_drop, ["ALL"]);
  }
  // What the user exports before `docker compose up`; without the secret compose refuses to start the stack.
  t.throws(() => serviceEnvironment(gateway!, {}), { message: /PECR_LOCAL_AUTH_SHARED_SECRET: export PECR_LOCAL_AUTH_SHARED_SECRET first/ });
  const host = { PECR_LOCAL_AUTH_SHARED_SECRET: SECRET };

  // `opa`: the same bundle directory the container mounts, served over OPA's Data API by the embedded engine.
  const opaBundle = bindMounts(opa!)[0]?.[1];
  t.truthy(opaBundle, "opa mounts the bundle");
  const opaUrl = await startProcess(t, [...entrypoint(), "opa-serve", "--addr", "127.0.0.1:0", "--bundle", opaBundle!], {}, / at (http:\/\/\S+)$/);

  // `postgres`: a fresh schema of the test server stands in for compose's database.
  const schema = `pecr_compose_${process.pid}`;
  const admin = postgres(dbUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE SCHEMA ${schema}`);
  t.teardown(async () => {
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  const gatewayEnv = serviceEnvironment(gateway!, host);
  t.is(gatewayEnv.PECR_DB_URL, "postgres://pecr:pecr@postgres:5432/pecr", "the gateway uses compose's postgres service");
  t.is(gatewayEnv.PECR_OPA_URL, `http://opa:8181`, "the gateway asks compose's opa service");
  t.is(gatewayEnv.PECR_BIND_ADDR, `0.0.0.0:${containerPort(gateway!)}`, "the gateway listens on its published port");
  const mounts = bindMounts(gateway!);
  const hostPath = (path: string) => {
    const mount = mounts.find(([container]) => path.startsWith(`${container}/`));
    return mount === undefined ? path : `${mount[1]}${path.slice(mount[0].length)}`;
  };
  const gatewayUrl = await startProcess(
    t,
    [...entrypoint(), ...gateway!.command!],
    {
      ...gatewayEnv,
      // Every address of another container becomes its stand-in; the published port becomes port 0.
      PECR_BIND_ADDR: "0.0.0.0:0",
      PECR_DB_URL: dbUrl,
      PECR_DB_SCHEMA: schema,
      PECR_OPA_URL: opaUrl,
      PECR_FS_CORPUS_PATH: hostPath(gatewayEnv.PECR_FS_CORPUS_PATH!),
    },
    /listening on (\S+)/,
  );

  const controllerEnv = serviceEnvironment(controller!, host);
  t.is(controllerEnv.PECR_GATEWAY_URL, `http://gateway:${containerPort(gateway!)}`, "the controller calls compose's gateway service");
  const controllerUrl = await startProcess(
    t,
    [...entrypoint(), ...controller!.command!],
    { ...controllerEnv, PECR_CONTROLLER_BIND_ADDR: "0.0.0.0:0", PECR_GATEWAY_URL: gatewayUrl.replace("0.0.0.0", "127.0.0.1") },
    /listening on (\S+)/,
  );

  const answered = await pecrRun(controllerUrl.replace("0.0.0.0", "127.0.0.1"), host);
  t.is(answered.code, 0, answered.stderr);
  t.regex(answered.stdout, /^Support hours are .*$/m);
  t.regex(answered.stdout, /terminal mode: SUPPORTED$/m);

  // Bound beyond loopback, the stack admits only callers holding the shared secret.
  const refused = await pecrRun(controllerUrl.replace("0.0.0.0", "127.0.0.1"), {});
  t.is(refused.code, 1);
  t.regex(refused.stderr, /Unauthenticated|ERR_AUTH/);
});
