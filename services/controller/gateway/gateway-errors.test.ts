import test from "ava";
import { Code, ConnectError } from "@connectrpc/connect";
import { PecrError, errors } from "#core/errors/pecr-error.js";
import { findErrorDetail, pecrErrorToConnect } from "#core/errors/to-connect-error.js";
import { ErrorDetailSchema } from "#gen/pecr/v1/error_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { classifyGatewayError, passThroughGatewayError } from "./gateway-errors.js";

test("a gateway error keeps its code, message and detail but drops the gateway's metadata", (t) => {
  const original = pecrErrorToConnect(errors.policyDenied());
  original.metadata.set("x-gateway-internal", "secret");
  const passed = passThroughGatewayError(original);
  t.true(passed instanceof ConnectError);
  const error = passed as ConnectError;
  t.is(error.code, Code.PermissionDenied);
  t.is(error.rawMessage, "policy denied");
  t.like(findErrorDetail(error), { code: "ERR_POLICY_DENIED", terminalModeHint: TerminalMode.INSUFFICIENT_PERMISSION });
  t.is(error.metadata.get("x-gateway-internal"), null);
});

test("failures without a detail become ERR_SOURCE_UNAVAILABLE or ERR_SOURCE_TIMEOUT; cancellation stays Canceled", (t) => {
  const refused = passThroughGatewayError(new ConnectError("ECONNREFUSED 127.0.0.1", Code.Unavailable));
  t.true(refused instanceof PecrError);
  t.like(refused, { code: "ERR_SOURCE_UNAVAILABLE", message: "gateway request failed", status: Code.Unavailable });
  const slow = passThroughGatewayError(new ConnectError("deadline", Code.DeadlineExceeded));
  t.like(slow, { code: "ERR_SOURCE_TIMEOUT", message: "gateway request timed out", status: Code.DeadlineExceeded });
  const internal = passThroughGatewayError(new Error("socket hang up"));
  t.like(internal, { code: "ERR_SOURCE_UNAVAILABLE" });
  const cancelled = passThroughGatewayError(new ConnectError("cancelled", Code.Canceled));
  t.is((cancelled as ConnectError).code, Code.Canceled);
});

test("operator failures classify into terminal-mode hints", (t) => {
  t.like(classifyGatewayError(pecrErrorToConnect(errors.budgetExceeded())), {
    errorCode: "ERR_BUDGET_EXCEEDED",
    hint: TerminalMode.INSUFFICIENT_EVIDENCE,
    fromGateway: true,
  });
  t.like(classifyGatewayError(pecrErrorToConnect(errors.authUnavailable("jwks down"))), {
    hint: TerminalMode.SOURCE_UNAVAILABLE,
  });
  t.like(classifyGatewayError(new ConnectError("reset", Code.Unavailable)), {
    errorCode: "ERR_SOURCE_UNAVAILABLE",
    hint: TerminalMode.SOURCE_UNAVAILABLE,
    fromGateway: false,
  });
  t.like(classifyGatewayError(new ConnectError("late", Code.DeadlineExceeded)), {
    errorCode: "ERR_SOURCE_TIMEOUT",
    hint: TerminalMode.SOURCE_UNAVAILABLE,
  });
  // A detail without a usable hint falls back to the code.
  const unhinted = new ConnectError("denied", Code.PermissionDenied, undefined, [
    { desc: ErrorDetailSchema, value: { code: "ERR_POLICY_DENIED" } },
  ]);
  t.is(classifyGatewayError(unhinted).hint, TerminalMode.INSUFFICIENT_PERMISSION);
  const claimsSuccess = new ConnectError("odd", Code.Unavailable, undefined, [
    { desc: ErrorDetailSchema, value: { code: "ERR_SOURCE_UNAVAILABLE", terminalModeHint: TerminalMode.SUPPORTED } },
  ]);
  t.is(classifyGatewayError(claimsSuccess).hint, TerminalMode.SOURCE_UNAVAILABLE);
});

test("the controller's own typed errors about the gateway's answer pass unchanged", (t) => {
  const own = errors.sourceUnavailable("gateway returned no session token");
  t.is(passThroughGatewayError(own), own);
});
