/**
 * What the OPA client puts on the wire: the Data API request PECR's decisions use, over one keep-alive
 * connection, under any path prefix of the configured URL.
 */
import test, { type ExecutionContext } from "ava";
import { engineFor } from "./assertions.js";
import { type FaultServer, reply, startHttpServer } from "./fault-servers.js";
import { sampleInput } from "./test-engines.js";

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

async function recordingServer(t: ExecutionContext): Promise<{ server: FaultServer; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await startHttpServer((request, response, _index, body) => {
    seen.push({ method: request.method, url: request.url, contentType: request.headers["content-type"], body });
    reply(response, 200, { result: { allow: true, cacheable: false, reason: "ok" }, decision_id: "ignored" });
  });
  t.teardown(() => server.close());
  return { server, seen };
}

test("a decision is a POST of the whole input to the decision document of the Data API", async (t) => {
  const { server, seen } = await recordingServer(t);
  const input = sampleInput();
  const decision = await engineFor(t, server.url).decide(input);
  t.deepEqual(decision, { allow: true, cacheable: false, reason: "ok", redaction: undefined });
  t.is(seen.length, 1);
  t.like(seen[0], { method: "POST", url: "/v1/data/pecr/authz/decision", contentType: "application/json" });
  t.deepEqual(JSON.parse(seen[0]?.body ?? ""), { input });
});

test("a path prefix in the configured URL is kept", async (t) => {
  const { server, seen } = await recordingServer(t);
  await engineFor(t, `${server.url}/opa/`).decide(sampleInput());
  await engineFor(t, `${server.url}/opa`).ready();
  t.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    ["POST /opa/v1/data/pecr/authz/decision", "GET /opa/health"],
  );
});

test("consecutive decisions reuse one keep-alive connection", async (t) => {
  const { server } = await recordingServer(t);
  const engine = engineFor(t, server.url);
  for (let i = 0; i < 5; i += 1) await engine.decide(sampleInput());
  t.is(server.hits, 5);
  t.is(server.connections, 1);
});
