/**
 * The requests the scenarios send: ControllerService.Run with a question, and a gateway operator
 * (FetchRows, FetchSpan) on a session of the virtual user's own, opened before the measured window and renewed
 * before its budget or lifetime runs out (calls within one session are serialised by design, so sharing one
 * across users would measure that queue, not the gateway).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { performance } from "node:perf_hooks";
import type { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import type { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import type { FetchRowsParamsSchema, FetchSpanParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import type { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { type CallOutcome, failureOutcome, observe } from "./call-outcome.js";
import { type ClientPool, REQUEST_ID_HEADER, SESSION_TOKEN_HEADER } from "./load-clients.js";

/**
 * A request of the load: takes the virtual user, its iteration and a signal that aborts it when the measured
 * window closes; never throws.
 */
export type Workload = (user: number, iteration: number, signal: AbortSignal) => Promise<CallOutcome>;

/** Runs ControllerService.Run with `query`; acknowledged runs are recorded for the ledger audit. */
export function controllerRun(pool: ClientPool<typeof ControllerService>, query: string, deadlineMs: number): Workload {
  return (user, _iteration, signal) =>
    observe(
      () => pool.forUser(user).run({ query }, { timeoutMs: deadlineMs, signal }),
      (response) => ({
        mode: response.terminalMode,
        ack: {
          kind: "run",
          sessionId: response.sessionId,
          traceId: response.traceId,
          operatorCalls: Number(response.stats?.operatorCallsUsed ?? 0n),
          mode: response.terminalMode,
        },
      }),
    );
}

/** The session budget of gateway workloads: the largest the contract allows. */
export const LOAD_SESSION_BUDGET: MessageInitShape<typeof BudgetSchema> = {
  maxOperatorCalls: 10_000,
  maxBytes: 64n * 1024n * 1024n,
  maxWallclockMs: 300_000n,
  maxRecursionDepth: 20,
};
/** Renew a session after this many calls, ahead of its budget's 10 000 (the k6 script renews at the same count). */
export const SESSION_MAX_CALLS = 9_900;
/** Renew a session after this age, ms, ahead of its budget's 300 s of wallclock (so does the k6 script). */
export const SESSION_MAX_AGE_MS = 240_000;

interface LoadSession {
  readonly sessionId: string;
  readonly headers: Record<string, string>;
  readonly openedAt: number;
  calls: number;
}

/** One gateway operator call on a session. */
export type OperatorCall = (
  client: ReturnType<ClientPool<typeof GatewayService>["forUser"]>,
  sessionId: string,
  options: { headers: Record<string, string>; timeoutMs: number; signal: AbortSignal },
) => Promise<{ mode: TerminalMode; evidenceCount: number }>;

/** FetchRows of `fields` from `viewId`, filtered to one customer. */
export function fetchRowsCall(viewId: string, filterSpec: Record<string, string> = { customer_id: "cust_public_1" }): OperatorCall {
  const params: MessageInitShape<typeof FetchRowsParamsSchema> = {
    viewId,
    fields: ["tenant_id", "customer_id", "status", "plan_tier", "updated_at"],
    filterSpec,
  };
  return async (client, sessionId, options) => {
    const response = await client.fetchRows({ sessionId, params }, options);
    return { mode: response.terminalMode, evidenceCount: response.evidenceUnits.length };
  };
}

/** FetchSpan of a whole document. */
export function fetchSpanCall(objectId = "public/public_1.txt"): OperatorCall {
  const params: MessageInitShape<typeof FetchSpanParamsSchema> = { objectId };
  return async (client, sessionId, options) => {
    const response = await client.fetchSpan({ sessionId, params }, options);
    return { mode: response.terminalMode, evidenceCount: response.evidenceUnit ? 1 : 0 };
  };
}

/** A gateway workload and the sessions it keeps per virtual user. */
export interface GatewayWorkload {
  /** Opens every user's session ahead of the measured window (failures are left for the loop to report). */
  prepare(users: number): Promise<void>;
  /** The request. */
  readonly request: Workload;
}

/** Calls `operator` on the user's session; `tag` prefixes request ids (recorded on the ledger's events). */
export function gatewayOperator(pool: ClientPool<typeof GatewayService>, operator: OperatorCall, deadlineMs: number, tag: string): GatewayWorkload {
  const sessions = new Map<number, LoadSession>();
  const open = async (user: number, signal?: AbortSignal): Promise<LoadSession> => {
    let token = "";
    const response = await pool.forUser(user).createSession(
      { budget: LOAD_SESSION_BUDGET },
      { timeoutMs: deadlineMs, ...(signal ? { signal } : {}), onHeader: (headers) => (token = headers.get(SESSION_TOKEN_HEADER) ?? "") },
    );
    const session = { sessionId: response.sessionId, headers: { [SESSION_TOKEN_HEADER]: token }, openedAt: performance.now(), calls: 0 };
    sessions.set(user, session);
    return session;
  };
  const usable = (session: LoadSession | undefined): session is LoadSession =>
    session !== undefined && session.calls < SESSION_MAX_CALLS && performance.now() - session.openedAt < SESSION_MAX_AGE_MS;
  return {
    async prepare(users) {
      await Promise.all(Array.from({ length: users }, (_, user) => open(user).catch(() => undefined)));
    },
    async request(user, iteration, signal) {
      let session = sessions.get(user);
      if (!usable(session)) {
        try {
          session = await open(user, signal);
        } catch (error) {
          return failureOutcome(error);
        }
      }
      session.calls++;
      const requestId = `${tag}-${user}-${iteration}`;
      const { sessionId } = session;
      return observe(
        () => operator(pool.forUser(user), sessionId, { headers: { ...session.headers, [REQUEST_ID_HEADER]: requestId }, timeoutMs: deadlineMs, signal }),
        ({ mode, evidenceCount }) => ({ mode, ack: { kind: "operator", sessionId, requestId, evidenceCount } }),
      );
    },
  };
}
