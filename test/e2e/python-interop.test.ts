/**
 * Polyglot interop: a Python client generated from proto/ at test time (Debian's protoc with --python_out and the
 * gRPC plugin grpc_python_plugin, into a temp dir) talks gRPC to a real gateway, and recomputes a fetched unit's
 * content_hash and evidence_unit_id with the published rules (proto/README.md). Both must equal the server's.
 * `bash .ci/run` installs python3-protobuf, python3-grpcio, protobuf-compiler and protobuf-compiler-grpc.
 */
import test from "ava";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { contentHash, evidenceUnitId } from "#core/canonical/identities.js";
import { startGatewayHarness } from "../support/gateway-harness.js";
import { openTestSession } from "../support/gateway-sessions.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The first Python interpreter that can import both the protobuf runtime and gRPC. */
function findPython(): string | undefined {
  const candidates = [process.env.PECR_PYTHON, "python3", "/usr/bin/python3"].filter(
    (candidate): candidate is string => candidate !== undefined && candidate !== "",
  );
  return candidates.find((python) => spawnSync(python, ["-c", "import google.protobuf, grpc"]).status === 0);
}

/** The gRPC Python plugin: on PATH (Debian's protobuf-compiler-grpc installs /usr/bin/grpc_python_plugin). */
function findGrpcPlugin(): string | undefined {
  const candidates = [process.env.PECR_GRPC_PYTHON_PLUGIN, "/usr/bin/grpc_python_plugin", "/usr/local/bin/grpc_python_plugin"];
  return candidates.find((path): path is string => path !== undefined && path !== "" && existsSync(path));
}

test("a Python gRPC client generated from proto/ creates a session, fetches a span and recomputes its hashes", async (t) => {
  const python = findPython();
  const plugin = findGrpcPlugin();
  if (python === undefined || plugin === undefined) {
    t.fail("needs python3 with google.protobuf and grpc, and grpc_python_plugin (bash .ci/run installs them)");
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), "pecr-pygrpc-"));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const image = join(scratch, "image.binpb");
  const out = join(scratch, "py");
  mkdirSync(out);
  execFileSync(join(repoRoot, "node_modules/.bin/buf"), ["build", "-o", image], { cwd: repoRoot });
  const protos = [
    ...readdirSync(join(repoRoot, "proto/pecr/v1")).map((file) => `pecr/v1/${file}`),
    "pecr/gateway/v1/gateway.proto",
    "buf/validate/validate.proto",
  ];
  execFileSync("protoc", [
    `--descriptor_set_in=${image}`,
    `--python_out=${out}`,
    `--plugin=protoc-gen-grpc_python=${plugin}`,
    `--grpc_python_out=${out}`,
    ...protos,
  ]);

  const gateway = await startGatewayHarness();
  t.teardown(() => gateway.close());
  const objectId = "public/support_policy.txt";
  const target = new URL(gateway.url).host;
  // Asynchronously: the gateway runs in this process and must keep serving while Python waits for it.
  const result = await promisify(execFile)(python, [join(repoRoot, "scripts/interop/gateway_client.py"), target, out, objectId], { timeout: 60_000 });
  t.is(result.stderr, "");
  const reply = JSON.parse(result.stdout) as {
    session_id: string;
    token_received: boolean;
    object_id: string;
    text: string;
    server: { content_hash: string; evidence_unit_id: string };
    python: { content_hash: string; evidence_unit_id: string };
  };
  t.true(reply.token_received, "the session token did not arrive in the initial metadata");
  t.is(reply.object_id, objectId);
  t.true(reply.text.includes("Support hours are 09:00 to 17:00 UTC"));
  t.regex(reply.server.evidence_unit_id, /^[0-9a-f]{64}$/);
  t.deepEqual(reply.python, reply.server);

  // The same unit fetched by a TypeScript client has the same id, and the TypeScript rules agree.
  const dev = gateway.client("dev");
  const events = await dev.listEvents({ sessionId: reply.session_id });
  t.true(events.events.some((record) => record.event?.payload.case === "evidenceEmitted" && record.event.payload.value.evidenceUnitId === reply.server.evidence_unit_id));
  const session = await openTestSession(dev);
  const unit = (await dev.fetchSpan({ sessionId: session.sessionId, params: { objectId } }, session.options)).evidenceUnit!;
  t.is(contentHash({ case: "text", value: reply.text }), reply.python.content_hash);
  t.is(unit.contentHash, reply.server.content_hash);
  t.is(evidenceUnitId(unit), unit.evidenceUnitId);
});
