/**
 * The k6 and ghz scripts cannot run here (neither tool is installed), so this keeps them honest against the
 * protos: every request body they send parses as its message (protobuf JSON, unknown fields rejected), every
 * method they call exists, every proto file they load exists, their metadata header names are the ones the
 * services read, the k6 helper reads terminal modes from responses shaped as k6 renders them, the k6 gateway
 * script renews its sessions ahead of their budget, the ghz gateway script refuses to run without a session,
 * and the scripts at least parse (node --check, bash -n).
 */
import test from "ava";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { type DescMessage, create, createRegistry, fromJson, toJson } from "@bufbuild/protobuf";
import { AnySchema, anyPack } from "@bufbuild/protobuf/wkt";
import { LOCAL_AUTH_SECRET_HEADER, PRINCIPAL_ID_HEADER } from "#core/auth/auth-headers.js";
import { ControllerService, RunRequestSchema, RunResponseSchema } from "#gen/pecr/controller/v1/controller_pb.js";
import { CreateSessionRequestSchema, GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import { EchoRequestSchema, EchoService } from "#gen/pecr/testing/v1/echo_pb.js";
import { ErrorDetailSchema } from "#gen/pecr/v1/error_pb.js";
import { FetchRowsParamsSchema, FetchSpanParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { SESSION_TOKEN_HEADER } from "../../../services/gateway/rpc/call-identity.js";
import { LOAD_SESSION_BUDGET, SESSION_MAX_AGE_MS, SESSION_MAX_CALLS } from "../suite7/workloads.js";

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const repo = here("../../../");

/** The shared k6 helper, a plain JavaScript module (no types: it is loaded as k6 and Node run it). */
interface K6Helper {
  METHODS: Record<string, string>;
  PROTO_FILES: Record<string, string[]>;
  PRINCIPAL_HEADER: string;
  SESSION_TOKEN_HEADER: string;
  LOCAL_AUTH_SECRET_HEADER: string;
  callerMetadata(principal: string, secret: string | undefined): Record<string, string>;
  terminalModeOf(response: unknown): string;
  headerOf(response: unknown, name: string): string;
  SESSION_MAX_CALLS: number;
  SESSION_MAX_AGE_MS: number;
  sessionUsable(session: { calls: number; openedAt: number } | null, now: number): boolean;
}
const helper = (await import(pathToFileURL(here("./lib/pecr-grpc.js")).href)) as K6Helper;

const requestSchemas: Record<string, DescMessage> = {
  "run-mock.json": RunRequestSchema,
  "run-extractive.json": RunRequestSchema,
  "create-session.json": CreateSessionRequestSchema,
  "fetch-rows-params.json": FetchRowsParamsSchema,
  "fetch-rows-slow-params.json": FetchRowsParamsSchema,
  "fetch-span-params.json": FetchSpanParamsSchema,
  "echo.json": EchoRequestSchema,
};

const services = [ControllerService, GatewayService, EchoService];
/** Whether `pkg.Service/Method` (or `pkg.Service.Method`) names an RPC of our services. */
function methodExists(path: string): boolean {
  const match = /^\/?([\w.]+)[./](\w+)$/.exec(path);
  return services.some((service) => service.typeName === match?.[1] && service.methods.some((method) => method.name === match?.[2]));
}

test("every request body of the k6 and ghz scripts parses as its protobuf message", (t) => {
  const files = readdirSync(here("./requests/"));
  t.deepEqual(files.sort(), Object.keys(requestSchemas).sort());
  for (const [file, schema] of Object.entries(requestSchemas)) {
    const json = JSON.parse(readFileSync(here(`./requests/${file}`), "utf8")) as Parameters<typeof fromJson>[1];
    t.notThrows(() => fromJson(schema, json, { ignoreUnknownFields: false }), file);
  }
  const rows = fromJson(FetchRowsParamsSchema, JSON.parse(readFileSync(here("./requests/fetch-rows-slow-params.json"), "utf8")) as never);
  t.is(rows.viewId, "safe_customer_view_public_slow");
});

test("the k6 helper names existing methods, existing proto files and the services' header names", (t) => {
  for (const path of Object.values(helper.METHODS)) t.true(methodExists(path), path);
  for (const file of Object.values(helper.PROTO_FILES).flat()) t.true(existsSync(`${repo}proto/${file}`), file);
  t.is(helper.PRINCIPAL_HEADER, PRINCIPAL_ID_HEADER);
  t.is(helper.SESSION_TOKEN_HEADER, SESSION_TOKEN_HEADER);
  t.is(helper.LOCAL_AUTH_SECRET_HEADER, LOCAL_AUTH_SECRET_HEADER);
  t.deepEqual(helper.callerMetadata("dev", undefined), { [PRINCIPAL_ID_HEADER]: "dev" });
  t.deepEqual(helper.callerMetadata("dev", "s3cret"), { [PRINCIPAL_ID_HEADER]: "dev", [LOCAL_AUTH_SECRET_HEADER]: "s3cret" });
  for (const script of readdirSync(here("./")).filter((name) => name.endsWith(".js"))) {
    const text = readFileSync(here(`./${script}`), "utf8");
    const opened = [...text.matchAll(/"\.\/requests\/([\w-]+\.json)"/g)].map((match) => match[1]!);
    t.true(opened.length > 0, script);
    for (const file of opened) t.true(file in requestSchemas, `${script}: ${file}`);
  }
});

test("the ghz scripts call existing methods, load existing protos and send the services' header names", (t) => {
  const scripts = readdirSync(here("../ghz/")).filter((file) => file.endsWith(".sh"));
  t.true(scripts.length >= 3);
  for (const script of scripts) {
    const text = readFileSync(here(`../ghz/${script}`), "utf8");
    const calls = [...text.matchAll(/--call "?([\w.]+\/[\w$]+)/g)].map((match) => match[1]!);
    t.true(calls.length > 0, script);
    for (const call of calls) {
      // gateway-operator.sh picks FetchRows or FetchSpan into $method.
      const methods = call.endsWith("$method") ? ["FetchRows", "FetchSpan"].map((name) => call.replace("$method", name)) : [call];
      for (const method of methods) t.true(methodExists(method), `${script}: ${method}`);
    }
    for (const match of text.matchAll(/--proto (\S+)/g)) t.true(existsSync(`${repo}${match[1]}`), `${script}: ${match[1]}`);
    for (const match of text.matchAll(/scripts\/perf\/k6\/requests\/([\w-]+\.json)/g)) t.true(match[1]! in requestSchemas, `${script}: ${match[1]}`);
    for (const header of text.matchAll(/x-pecr-[\w-]+/g)) t.true([PRINCIPAL_ID_HEADER, SESSION_TOKEN_HEADER, LOCAL_AUTH_SECRET_HEADER].includes(header[0]), `${script}: ${header[0]}`);
  }
});

test("the k6 helper reads the terminal mode of a response from its message, or from the ErrorDetail of an error", (t) => {
  // k6 renders messages with protojson (lowerCamelCase names, enum value names, unpopulated fields included).
  const ok = { status: 0, message: toJson(RunResponseSchema, create(RunResponseSchema, { terminalMode: TerminalMode.SUPPORTED })), error: null };
  t.is(helper.terminalModeOf(ok), "SUPPORTED");
  const detail = create(ErrorDetailSchema, { code: "ERR_SOURCE_UNAVAILABLE", terminalModeHint: TerminalMode.SOURCE_UNAVAILABLE, retryable: true });
  // google.rpc.Status details are Any messages; protojson renders them with an `@type` and the message's fields.
  const packed = toJson(AnySchema, anyPack(ErrorDetailSchema, detail), { registry: createRegistry(ErrorDetailSchema) });
  const failed = {
    status: 14,
    // k6 fills the message even on failure, with every field unpopulated: the mode must come from the error.
    message: toJson(RunResponseSchema, create(RunResponseSchema), { alwaysEmitImplicit: true }),
    error: { code: 14, message: "ledger unavailable", details: [packed] },
  };
  t.is(helper.terminalModeOf(failed), "SOURCE_UNAVAILABLE");
  t.is(helper.terminalModeOf({ status: 4, message: null, error: { code: 4, message: "deadline exceeded" } }), "");
  t.is(helper.headerOf({ headers: { [SESSION_TOKEN_HEADER]: ["tok"] } }, SESSION_TOKEN_HEADER), "tok");
});

test("the k6 scripts parse as JavaScript modules and the ghz scripts as bash", async (t) => {
  for (const file of readdirSync(here("./")).filter((name) => name.endsWith(".js"))) {
    await t.notThrowsAsync(run(process.execPath, ["--check", here(`./${file}`)]), file);
  }
  for (const file of readdirSync(here("../ghz/")).filter((name) => name.endsWith(".sh"))) {
    await t.notThrowsAsync(run("bash", ["-n", here(`../ghz/${file}`)]), file);
  }
});

test("the k6 gateway script renews its session by calls and by age, ahead of the budget it asks for, as the suite does", (t) => {
  const request = fromJson(CreateSessionRequestSchema, JSON.parse(readFileSync(here("./requests/create-session.json"), "utf8")) as never);
  t.deepEqual(request.budget, create(BudgetSchema, LOAD_SESSION_BUDGET), "the same budget as the suite's sessions");
  t.true(helper.SESSION_MAX_CALLS < (request.budget?.maxOperatorCalls ?? 0));
  t.true(helper.SESSION_MAX_AGE_MS < Number(request.budget?.maxWallclockMs ?? 0n));
  t.deepEqual([helper.SESSION_MAX_CALLS, helper.SESSION_MAX_AGE_MS], [SESSION_MAX_CALLS, SESSION_MAX_AGE_MS]);
  t.false(helper.sessionUsable(null, 0), "no session yet");
  t.true(helper.sessionUsable({ calls: helper.SESSION_MAX_CALLS - 1, openedAt: 1000 }, 1000 + helper.SESSION_MAX_AGE_MS - 1));
  t.false(helper.sessionUsable({ calls: helper.SESSION_MAX_CALLS, openedAt: 1000 }, 1000), "renewed by calls");
  t.false(helper.sessionUsable({ calls: 0, openedAt: 1000 }, 1000 + helper.SESSION_MAX_AGE_MS), "renewed by age");
  const script = readFileSync(here("./gateway-operator.js"), "utf8");
  t.regex(script, /if \(!sessionUsable\(session, Date\.now\(\)\)\) session = openSession\(\);/);
  t.regex(script, /openedAt: Date\.now\(\)/);
});

/** Runs ghz/gateway-operator.sh with `npx` and `ghz` replaced: npx prints `opened` and exits `status`; ghz records its arguments. */
async function ghzGatewayOperator(t: { teardown(fn: () => Promise<void>): void }, opened: string, status: number) {
  const bin = await mkdtemp(join(tmpdir(), "pecr-ghz-test-"));
  t.teardown(() => rm(bin, { recursive: true, force: true }));
  await writeFile(join(bin, "npx"), `#!/usr/bin/env bash\nprintf '%b' ${JSON.stringify(opened)}\nexit ${status}\n`, { mode: 0o755 });
  await writeFile(join(bin, "ghz"), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > "${join(bin, "ghz-args")}"\n`, { mode: 0o755 });
  const outcome = await run("bash", [here("../ghz/gateway-operator.sh"), "127.0.0.1:1"], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
  const ghzArgs = await readFile(join(bin, "ghz-args"), "utf8").catch(() => undefined);
  return { status: outcome, ghzArgs };
}

test("the ghz gateway script stops when open-session fails or prints no token, and otherwise sends the session it opened", async (t) => {
  for (const [opened, status] of [["", 1], ["01SESSION\n", 1], ["01SESSION\n", 0]] as const) {
    const { status: exit, ghzArgs } = await ghzGatewayOperator(t, opened, status);
    t.not(exit, 0, JSON.stringify({ opened, status }));
    t.is(ghzArgs, undefined, `ghz must not run: ${JSON.stringify({ opened, status })}`);
  }
  const { status: exit, ghzArgs } = await ghzGatewayOperator(t, "01SESSION tok3n\n", 0);
  t.is(exit, 0);
  t.regex(ghzArgs ?? "", /"session_id":"01SESSION"/);
  t.regex(ghzArgs ?? "", /"x-pecr-session-token":"tok3n"/);
});
