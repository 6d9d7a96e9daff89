/**
 * k6: a gateway operator in a closed loop, each virtual user on a session of its own (calls within one session
 * are serialised by the gateway): CreateSession once per VU (the token comes back in the response header
 * x-pecr-session-token and is sent back on every call), then FetchRows or FetchSpan until the session's call
 * or wallclock budget is nearly spent (lib/pecr-grpc.js `sessionUsable`), then a new session. Covers the suite's FetchRows and FetchSpan baselines and, with
 * requests/fetch-rows-slow-params.json against a gateway started with PECR_PG_SAFEVIEW_QUERY_TIMEOUT_MS=5, its
 * statement-timeout fault (EXPECT_TERMINAL_MODE=SOURCE_UNAVAILABLE).
 *
 *   k6 run -e PROTO_DIR=$PWD/proto -e GATEWAY_ADDR=127.0.0.1:8080 -e OPERATOR=fetch_rows scripts/perf/k6/gateway-operator.js
 *
 * Env: GATEWAY_ADDR (127.0.0.1:8080), PROTO_DIR (../../../proto, relative to this file), OPERATOR (fetch_rows |
 * fetch_span), PARAMS (requests/fetch-rows-params.json or requests/fetch-span-params.json), EXPECT_TERMINAL_MODE
 * (SUPPORTED), PRINCIPAL (dev), VUS (10), DURATION (10s), TIMEOUT (10s), ENFORCE_P99=1 with P99_BUDGET_MS (900).
 */
import grpc from "k6/net/grpc";
import { check, fail } from "k6";
import { Rate } from "k6/metrics";
import { METHODS, PROTO_FILES, SESSION_TOKEN_HEADER, callerMetadata, headerOf, sessionUsable, terminalModeOf } from "./lib/pecr-grpc.js";

const operator = __ENV.OPERATOR || "fetch_rows";
if (operator !== "fetch_rows" && operator !== "fetch_span") throw new Error(`OPERATOR must be fetch_rows or fetch_span, not ${operator}`);
const method = operator === "fetch_rows" ? METHODS.fetchRows : METHODS.fetchSpan;
const params = JSON.parse(open(__ENV.PARAMS || (operator === "fetch_rows" ? "./requests/fetch-rows-params.json" : "./requests/fetch-span-params.json")));
const createSession = JSON.parse(open("./requests/create-session.json"));
const expected = __ENV.EXPECT_TERMINAL_MODE || "SUPPORTED";
const principal = callerMetadata(__ENV.PRINCIPAL || "dev", __ENV.PECR_LOCAL_AUTH_SHARED_SECRET);
const timeout = __ENV.TIMEOUT || "10s";

const client = new grpc.Client();
client.load([__ENV.PROTO_DIR || "../../../proto"], ...PROTO_FILES.gateway);

const wrongMode = new Rate("wrong_mode_rate");

export const options = {
  vus: Number(__ENV.VUS || 10),
  duration: __ENV.DURATION || "10s",
  thresholds: {
    wrong_mode_rate: ["rate==0"],
    ...(__ENV.ENFORCE_P99 === "1" ? { grpc_req_duration: [`p(99)<${Number(__ENV.P99_BUDGET_MS || 900)}`] } : {}),
  },
};

let connected = false;
let session = null;

function openSession() {
  const response = client.invoke(METHODS.createSession, createSession, { metadata: principal, timeout });
  if (response.status !== grpc.StatusOK) fail(`CreateSession failed: ${JSON.stringify(response.error)}`);
  return { id: response.message.sessionId, token: headerOf(response, SESSION_TOKEN_HEADER), calls: 0, openedAt: Date.now() };
}

export default function () {
  if (!connected) {
    client.connect(__ENV.GATEWAY_ADDR || "127.0.0.1:8080", { plaintext: true });
    connected = true;
  }
  if (!sessionUsable(session, Date.now())) session = openSession();
  session.calls++;
  const response = client.invoke(
    method,
    { session_id: session.id, params },
    { metadata: { ...principal, [SESSION_TOKEN_HEADER]: session.token }, timeout },
  );
  const mode = terminalModeOf(response);
  wrongMode.add(mode !== expected);
  check(response, { [`terminal mode is ${expected}`]: () => mode === expected });
}
