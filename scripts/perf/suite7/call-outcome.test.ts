/**
 * Reading a failed RPC (code, ErrorDetail, message) and judging a fault's failures against the errors it must cause.
 */
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema } from "#gen/pecr/v1/error_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { type CallOutcome, failureOutcome, failureSignature, judgeFailures } from "./call-outcome.js";

const detail = (code: string, hint = TerminalMode.SOURCE_UNAVAILABLE) => ({ desc: ErrorDetailSchema, value: create(ErrorDetailSchema, { code, terminalModeHint: hint }) });

test("a failed RPC is read as its code, ErrorDetail code and message, which tell apart errors sharing a code", (t) => {
  const policy = failureOutcome(new ConnectError("policy engine unavailable", Code.Unavailable, undefined, [detail("ERR_SOURCE_UNAVAILABLE")]));
  const unreachable = failureOutcome(new ConnectError("gateway request failed", Code.Unavailable, undefined, [detail("ERR_SOURCE_UNAVAILABLE")]));
  t.is(policy.mode, TerminalMode.SOURCE_UNAVAILABLE);
  t.is(failureSignature(policy), "Unavailable/ERR_SOURCE_UNAVAILABLE policy engine unavailable");
  t.not(failureSignature(unreachable), failureSignature(policy));
  t.is(failureSignature(failureOutcome(new ConnectError("reset", Code.Unavailable))), "Unavailable/(no ErrorDetail) reset");
});

const failed = (signature: string): CallOutcome => {
  const [codes = "", ...words] = signature.split(" ");
  const [code, errorCode] = codes.split("/");
  return { rpcOk: false, mode: TerminalMode.SOURCE_UNAVAILABLE, code: code!, errorCode: errorCode!, message: words.join(" ") };
};
const TIMEOUT = "DeadlineExceeded/ERR_SOURCE_TIMEOUT policy engine timeout";
const OPEN = "Unavailable/ERR_SOURCE_UNAVAILABLE policy engine circuit breaker is open";
const expected = { required: TIMEOUT, allowed: [OPEN] };

test("a fault's failures pass when each carries its own error or an allowed one, and its own error occurs", (t) => {
  const ok = { rpcOk: true, mode: TerminalMode.SUPPORTED };
  t.deepEqual(judgeFailures([failed(TIMEOUT), failed(OPEN), failed(OPEN), ok], expected), { unexpected: {}, required: 1 });
});

test("a failure with another error is reported, and so is a fault whose own error never occurred", (t) => {
  const unreachable = "Unavailable/ERR_SOURCE_UNAVAILABLE gateway request failed";
  t.deepEqual(judgeFailures([failed(TIMEOUT), failed(unreachable), failed(unreachable)], expected).unexpected, { [unreachable]: 2 });
  t.is(judgeFailures([failed(OPEN)], expected).required, 0, "only the circuit breaker: the timeouts that opened it were not seen");
});
