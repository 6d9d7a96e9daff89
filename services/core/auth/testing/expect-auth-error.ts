/**
 * Test support: asserts that an authentication attempt fails with an exact PecrError and that the error reaches
 * clients with the expected Connect code and `ErrorDetail`.
 */
import type { Code } from "@connectrpc/connect";
import type { ExecutionContext } from "ava";
import { type ErrorCode, PecrError } from "#core/errors/pecr-error.js";
import { findErrorDetail, pecrErrorToConnect } from "#core/errors/to-connect-error.js";

/** The exact error an attempt must fail with. */
export interface ExpectedAuthError {
  /** PECR error code. */
  readonly code: ErrorCode;
  /** Exact message. */
  readonly message: string;
  /** Connect status code. */
  readonly status: Code;
  /** Whether the error is marked retryable. */
  readonly retryable: boolean;
}

/** Awaits `attempt`, requiring it to reject with exactly `expected`; returns the error for further checks. */
export async function expectAuthError(
  t: ExecutionContext,
  attempt: Promise<unknown>,
  expected: ExpectedAuthError,
): Promise<PecrError | undefined> {
  const error = await t.throwsAsync(attempt, { instanceOf: PecrError });
  if (!error) return undefined;
  t.is(error.code, expected.code);
  t.is(error.message, expected.message);
  t.is(error.retryable, expected.retryable);
  const connectError = pecrErrorToConnect(error);
  t.is(connectError.code, expected.status);
  t.is(connectError.rawMessage, expected.message);
  t.deepEqual(
    { code: findErrorDetail(connectError)?.code, retryable: findErrorDetail(connectError)?.retryable },
    { code: expected.code, retryable: expected.retryable },
  );
  return error;
}
