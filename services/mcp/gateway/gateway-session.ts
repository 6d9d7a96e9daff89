/**
 * The gateway session of one MCP connection: opened on the connection's first operator tool call (with the
 * server's budget), reused by later calls, and replaced once when the gateway says it is no longer usable
 * (unknown, finalized, or its token expired). The gateway runs one call per session at a time (a session lease),
 * so the connection's calls are queued here rather than left to contend for the lease and time out.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import type { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import { errors } from "#core/errors/pecr-error.js";
import { callOptions } from "./pecr-clients.js";

/** The request and response header carrying the session capability token. */
export const SESSION_TOKEN_HEADER = "x-pecr-session-token";

/** An open session. */
export interface GatewaySession {
  /** Its id. */
  readonly sessionId: string;
  /** Its trace id. */
  readonly traceId: string;
  /** Its capability token. */
  readonly token: string;
}

/** The session of one connection. */
export interface GatewaySessionHolder {
  /** Runs `call` with the session, opening it first if needed and retrying once on a fresh one if it went stale. */
  use<T>(traceId: string, call: (session: GatewaySession) => Promise<T>): Promise<T>;
}

/** Whether a gateway error means the session itself is no longer usable. */
function sessionGone(error: unknown): boolean {
  const connectError = ConnectError.from(error);
  const message = connectError.rawMessage;
  return (
    (connectError.code === Code.NotFound && message === "unknown session_id") ||
    (connectError.code === Code.FailedPrecondition && message === "session already finalized") ||
    (connectError.code === Code.Unauthenticated && message === "invalid session credentials")
  );
}

/** Creates the holder. */
export function createGatewaySessionHolder(gateway: Client<typeof GatewayService>, budget: Budget, timeoutMs: number): GatewaySessionHolder {
  let current: Promise<GatewaySession> | undefined;
  const open = async (traceId: string): Promise<GatewaySession> => {
    let token: string | null = null;
    const response = await gateway.createSession(
      { budget },
      { ...callOptions(traceId, timeoutMs), onHeader: (headers) => (token = headers.get(SESSION_TOKEN_HEADER)) },
    );
    if (token === null || token === "") throw errors.sourceUnavailable("gateway returned no session token");
    return { sessionId: response.sessionId, traceId: response.traceId, token };
  };
  const session = (traceId: string) => {
    const opening = (current ??= open(traceId));
    // A failed open is forgotten, so the next call tries again.
    opening.catch(() => {
      if (current === opening) current = undefined;
    });
    return opening;
  };
  const run = async <T>(traceId: string, call: (session: GatewaySession) => Promise<T>): Promise<T> => {
    const first = await session(traceId);
    try {
      return await call(first);
    } catch (error) {
      if (!sessionGone(error)) throw error;
      if (current !== undefined && (await current.catch(() => undefined)) === first) current = undefined;
      return call(await session(traceId));
    }
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    use(traceId, call) {
      const result = queue.then(() => run(traceId, call));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
