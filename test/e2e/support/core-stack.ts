/**
 * The stack most end-to-end suites share within one test file and backend: a gateway with the search and
 * decision caches on (PECR_CACHE_MAX_ENTRIES/TTL, so cache isolation is exercised everywhere), a controller with
 * the extractive planner (the default) and one with the mock planner. Suites register their tests against a
 * getter, since the stack is only started in the file's `before` hook.
 *
 * Tests that make controller runs are `serial`: a run fans out parallel calls on one session, and several runs at
 * once on the embedded ledger queue long enough to time out (reported as a capacity finding, not tested here);
 * the direct gateway tests run concurrently.
 */
import type { TestFn } from "ava";
import type { Backend } from "../../support/gateway-harness.js";
import { type Stack, type StackController, startStack } from "../../support/stack-harness.js";
import { assertLedgerVerifies } from "./ledger-audit.js";
import type { BackendTarget } from "./backends.js";

/** The shared stack of one backend. */
export interface CoreStack {
  /** Gateway and the extractive controller. */
  readonly stack: Stack;
  /** A controller running the mock planner on the same gateway. */
  readonly mock: StackController;
}

/** Gateway settings of the shared stack: the search and decision caches on. */
export const CORE_GATEWAY_ENV = { PECR_CACHE_MAX_ENTRIES: "128", PECR_CACHE_TTL_MS: "60000" } as const;

/** Starts the shared stack on `backend`. */
export async function startCoreStack(backend: Backend): Promise<CoreStack> {
  const stack = await startStack({ backend, gatewayEnv: CORE_GATEWAY_ENV });
  try {
    const mock = await stack.startController({ PECR_CONTROLLER_PLANNER: "mock" });
    return { stack, mock };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

/** A suite registration: tests titled with `target.prefix`, reading the stack through `core()`. */
export type CoreSuite = (test: TestFn, target: BackendTarget, core: () => CoreStack) => void;

/**
 * Starts the shared stack of `target` before the file's tests, registers `suites` on it, checks that the ledger
 * chain verifies once every test has run (`after` hooks run only when all tests passed; the stack is closed in
 * `after.always`).
 */
export function registerCoreSuites(test: TestFn, target: BackendTarget, suites: readonly CoreSuite[]): void {
  let core: CoreStack | undefined;
  test.before(async () => {
    core = await startCoreStack(target.backend);
  });
  test.after.always(async () => {
    await core?.stack.close();
  });
  const get = () => {
    if (core === undefined) throw new Error("the core stack did not start");
    return core;
  };
  for (const register of suites) register(test, target, get);
  test.serial.after(`${target.prefix}the ledger chain verifies after every suite ran`, async (t) => {
    await assertLedgerVerifies(t, get().stack.gateway("auditor"));
  });
}
