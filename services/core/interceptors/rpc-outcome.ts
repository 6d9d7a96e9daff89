/**
 * The final Connect code of an RPC, shared by the access log and the metrics so both report the same thing.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { StreamOutcome } from "./stream-observer.js";

/** The Connect code an error ends an RPC with (errors are already mapped by then; anything else counts as Internal). */
export function codeOfError(error: unknown): Code {
  return error instanceof ConnectError ? error.code : Code.Internal;
}

/** The code a response stream ended with: ok, the error's code, or Canceled when the consumer stopped early. */
export function codeOfStreamOutcome(outcome: StreamOutcome): Code | undefined {
  switch (outcome.kind) {
    case "done":
      return undefined;
    case "error":
      return codeOfError(outcome.error);
    case "cancelled":
      return Code.Canceled;
  }
}

/** The snake_case name of a code (`ok` when undefined), as Connect writes it on the wire. */
export function codeName(code: Code | undefined): string {
  return code === undefined ? "ok" : codeToString(code);
}
