/**
 * Shared helpers of the OPA client tests: build an engine that is closed after the test, and assert the exact
 * fail-closed error a decision rejected with.
 */
import type { ExecutionContext } from "ava";
import { Code } from "@connectrpc/connect";
import { PecrError } from "../../../services/core/errors/pecr-error.js";
import { findErrorDetail, toConnectError } from "../../../services/core/errors/to-connect-error.js";
import {
  createOpaHttpEngine,
  type OpaHttpEngine,
} from "../../../services/gateway/policy/opa-http/opa-http-engine.js";
import type { OpaHttpEngineOptions } from "../../../services/gateway/policy/opa-http/opa-http-options.js";

/** The bundle hash the test engines report. */
export const TEST_BUNDLE_HASH = "f".repeat(64);

/**
 * Creates an OPA engine for `url`, closed when the test ends. Defaults for tests: jitter pinned to the full
 * delay, and a 5 s attempt timeout so a loaded machine cannot turn a slow answer into a retry (tests about
 * timeouts set their own).
 */
export function engineFor(
  t: ExecutionContext,
  url: string,
  options: Partial<OpaHttpEngineOptions> = {},
): OpaHttpEngine {
  const engine = createOpaHttpEngine({
    url,
    bundleHash: TEST_BUNDLE_HASH,
    random: () => 1,
    timeoutMs: 5000,
    ...options,
  });
  t.teardown(() => engine.close());
  return engine;
}

/** The three ways a decision can fail closed, with their exact code, message and Connect status. */
export const policyFailures = {
  timeout: { code: "ERR_SOURCE_TIMEOUT", message: "policy engine timeout", status: Code.DeadlineExceeded },
  unavailable: { code: "ERR_SOURCE_UNAVAILABLE", message: "policy engine unavailable", status: Code.Unavailable },
  circuitOpen: {
    code: "ERR_SOURCE_UNAVAILABLE",
    message: "policy engine circuit breaker is open",
    status: Code.Unavailable,
  },
} as const;

/** Awaits a decision that must reject, and checks the PecrError and the ConnectError it maps to. */
export async function assertFailsClosed(
  t: ExecutionContext,
  decision: Promise<unknown>,
  expected: (typeof policyFailures)[keyof typeof policyFailures],
): Promise<void> {
  const error = await t.throwsAsync(decision, { instanceOf: PecrError });
  if (!(error instanceof PecrError)) return;
  t.is(error.code, expected.code);
  t.is(error.message, expected.message);
  t.true(error.retryable);
  const connectError = toConnectError(error);
  t.is(connectError.code, expected.status);
  t.is(findErrorDetail(connectError)?.code, expected.code);
}
