/**
 * The gateway session of one MCP connection: opened on the connection's first operator tool call (with the
 * server's budget), reused by later calls, and replaced once when the gateway says it is no longer usable
 * (unknown, finalized, or its token expired). The gateway runs one call per session at a time (a session lease),
 * so the connection's calls are queued here rather than left to contend for the lease and time out. When the
 * connection ends, its session is finalized with an empty claim map, so the ledger records where it ended and
 * its token can no longer be used.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import type { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
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
  /**
   * Ends the holder once the queued calls are done: finalizes the open session (if any) with an empty claim map and
   * resolves with its id, or undefined when none was open; rejects when the gateway refused (the session then
   * simply expires). Later `use` calls are refused. Idempotent.
   */
  end(traceId: string): Promise<string | undefined>;
}

/** The generator named in the authorship of the closing claim map. */
export const MCP_GENERATOR = "pecr-mcp@1";

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

/** `options` with the session token header added. */
export function withSessionToken<O extends { headers: Record<string, string> }>(options: O, token: string): O {
  return { ...options, headers: { ...options.headers, [SESSION_TOKEN_HEADER]: token } };
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
  const finalize = async (traceId: string): Promise<string | undefined> => {
    const opened = await current?.catch(() => undefined);
    current = undefined;
    if (opened === undefined) return undefined;
    await gateway.finalize(
      {
        sessionId: opened.sessionId,
        responseText: "",
        // No claims: the connection asked questions through tools, and answers (if any) came from `ask` runs with
        // their own sessions. INSUFFICIENT_EVIDENCE is what the gate decides for an empty map anyway.
        claimMap: {
          terminalMode: TerminalMode.INSUFFICIENT_EVIDENCE,
          notes: "MCP connection closed",
          authorship: { generator: MCP_GENERATOR, aiGenerated: true },
        },
      },
      withSessionToken(callOptions(traceId, timeoutMs), opened.token),
    );
    return opened.sessionId;
  };
  let queue: Promise<unknown> = Promise.resolve();
  let ending: Promise<string | undefined> | undefined;
  return {
    use(traceId, call) {
      if (ending !== undefined) return Promise.reject(errors.sourceUnavailable("MCP connection closed"));
      const result = queue.then(() => run(traceId, call));
      queue = result.catch(() => undefined);
      return result;
    },
    end(traceId) {
      ending ??= queue.then(() => finalize(traceId));
      return ending;
    },
  };
}
