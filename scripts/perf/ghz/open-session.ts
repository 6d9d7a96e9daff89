/**
 * Opens a gateway session for tools that cannot chain calls (ghz) and prints `<session_id> <token>` on one line.
 *
 *   npx tsx scripts/perf/ghz/open-session.ts [--url http://127.0.0.1:8080] [--principal dev]
 *
 * Sends PECR_LOCAL_AUTH_SHARED_SECRET when it is set (a gateway bound beyond loopback requires it).
 */
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { LOCAL_AUTH_SECRET_HEADER } from "#core/auth/auth-headers.js";
import { PRINCIPAL_ID_HEADER, SESSION_TOKEN_HEADER } from "../suite7/load-clients.js";
import { LOAD_SESSION_BUDGET } from "../suite7/workloads.js";

const { values } = parseArgs({
  options: { url: { type: "string", default: "http://127.0.0.1:8080" }, principal: { type: "string", default: "dev" } },
});
const client = createClient(GatewayService, createGrpcTransport({ baseUrl: values.url ?? "http://127.0.0.1:8080" }));
const secret = process.env["PECR_LOCAL_AUTH_SHARED_SECRET"];
const headers: Record<string, string> = { [PRINCIPAL_ID_HEADER]: values.principal ?? "dev" };
if (secret !== undefined && secret !== "") headers[LOCAL_AUTH_SECRET_HEADER] = secret;
let token = "";
const session = await client.createSession(
  { budget: LOAD_SESSION_BUDGET },
  { headers, onHeader: (headers) => (token = headers.get(SESSION_TOKEN_HEADER) ?? "") },
);
console.log(`${session.sessionId} ${token}`);
