/**
 * k6: the transport limit — pecr.testing.v1.EchoService/Echo in a closed loop against the echo server the suite
 * starts (scripts/perf/suite7/processes/echo-process.ts bootstrap|bare, which prints its URL).
 *
 *   k6 run -e PROTO_DIR=$PWD/proto -e ECHO_ADDR=127.0.0.1:PORT scripts/perf/k6/echo.js
 *
 * Env: ECHO_ADDR (required), PROTO_DIR (../../../proto, relative to this file), VUS (10), DURATION (10s).
 */
import grpc from "k6/net/grpc";
import { check } from "k6";
import { METHODS, PROTO_FILES } from "./lib/pecr-grpc.js";

const request = JSON.parse(open("./requests/echo.json"));
const client = new grpc.Client();
client.load([__ENV.PROTO_DIR || "../../../proto"], ...PROTO_FILES.echo);

export const options = {
  vus: Number(__ENV.VUS || 10),
  duration: __ENV.DURATION || "10s",
  thresholds: { checks: ["rate==1"] },
};

let connected = false;

export default function () {
  if (!connected) {
    if (!__ENV.ECHO_ADDR) throw new Error("set ECHO_ADDR to the echo server's host:port");
    client.connect(__ENV.ECHO_ADDR, { plaintext: true });
    connected = true;
  }
  const response = client.invoke(METHODS.echo, request);
  check(response, { "echo answered": (r) => r.status === grpc.StatusOK && r.message.text === request.text });
}
