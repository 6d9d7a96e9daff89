/**
 * k6: ControllerService.Run in a closed loop (the suite's controller baselines and its policy/Postgres fault
 * scenarios). Every iteration must end with EXPECT_TERMINAL_MODE, read from the RunResponse or, when the RPC
 * fails, from the error's pecr.v1.ErrorDetail hint; `wrong_mode_rate` counts the others (threshold rate==0).
 *
 *   k6 run -e PROTO_DIR=$PWD/proto -e CONTROLLER_ADDR=127.0.0.1:8081 scripts/perf/k6/controller-run.js
 *
 * Env: CONTROLLER_ADDR (127.0.0.1:8081), PROTO_DIR (../../../proto, relative to this file), REQUEST
 * (requests/run-mock.json), EXPECT_TERMINAL_MODE (INSUFFICIENT_EVIDENCE; SUPPORTED with run-extractive.json,
 * SOURCE_UNAVAILABLE under a fault), PRINCIPAL (dev), VUS (10), DURATION (10s), TIMEOUT (30s),
 * ENFORCE_P99=1 with P99_BUDGET_MS (1500).
 */
import grpc from "k6/net/grpc";
import { check } from "k6";
import { Rate } from "k6/metrics";
import { METHODS, PROTO_FILES, callerMetadata, terminalModeOf } from "./lib/pecr-grpc.js";

const request = JSON.parse(open(__ENV.REQUEST || "./requests/run-mock.json"));
const expected = __ENV.EXPECT_TERMINAL_MODE || "INSUFFICIENT_EVIDENCE";
const client = new grpc.Client();
client.load([__ENV.PROTO_DIR || "../../../proto"], ...PROTO_FILES.controller);

const wrongMode = new Rate("wrong_mode_rate");

export const options = {
  vus: Number(__ENV.VUS || 10),
  duration: __ENV.DURATION || "10s",
  thresholds: {
    wrong_mode_rate: ["rate==0"],
    ...(__ENV.ENFORCE_P99 === "1" ? { grpc_req_duration: [`p(99)<${Number(__ENV.P99_BUDGET_MS || 1500)}`] } : {}),
  },
};

let connected = false;

export default function () {
  if (!connected) {
    client.connect(__ENV.CONTROLLER_ADDR || "127.0.0.1:8081", { plaintext: true });
    connected = true;
  }
  const response = client.invoke(METHODS.run, request, {
    metadata: callerMetadata(__ENV.PRINCIPAL || "dev", __ENV.PECR_LOCAL_AUTH_SHARED_SECRET),
    timeout: __ENV.TIMEOUT || "30s",
  });
  const mode = terminalModeOf(response);
  wrongMode.add(mode !== expected);
  check(response, { [`terminal mode is ${expected}`]: () => mode === expected });
}
