/**
 * `pecr run "question" [--principal dev] [--url http://127.0.0.1:8081] [--stream] [--token JWT]`: asks the
 * controller, then prints the answer, each claim with its status and cited evidence ids, and the terminal mode.
 * `--stream` also prints each progress event as it arrives. Local-mode callers are named by `--principal`
 * (`PECR_LOCAL_AUTH_SHARED_SECRET` is sent when set); OIDC callers pass `--token`.
 * Exit status: 0 for SUPPORTED and INSUFFICIENT_*; 1 for errors and SOURCE_UNAVAILABLE; 2 for bad usage.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { parseArgs } from "node:util";
import { findErrorDetail } from "#core/errors/to-connect-error.js";
import { ConnectError } from "@connectrpc/connect";
import { ControllerService, type RunResponse, type RunStreamResponse, StopReason } from "#gen/pecr/controller/v1/controller_pb.js";
import { ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

const USAGE = `usage: pecr run "question" [--principal dev] [--url http://127.0.0.1:8081] [--stream] [--token JWT]`;

function modeName(mode: TerminalMode): string {
  return TerminalMode[mode] ?? "UNSPECIFIED";
}

function describeEvent(event: RunStreamResponse["event"]): string | undefined {
  switch (event.case) {
    case "sessionStarted":
      return `session ${event.value.sessionId} (trace ${event.value.traceId})`;
    case "operatorCall": {
      const call = event.value;
      const outcome = call.errorCode === "" ? modeName(call.outcome) : `${modeName(call.outcome)} ${call.errorCode}`;
      return `step ${call.step}: ${call.params?.params.case ?? "?"} -> ${outcome} (${call.bytes} bytes, ${call.latencyMs} ms)`;
    }
    case "evidence":
      return `step ${event.value.step}: evidence ${event.value.refs.map((ref) => `${ref.objectId}#${ref.evidenceUnitId.slice(0, 12)}`).join(", ")}`;
    case "finalize":
      return `finalize: ${modeName(event.value.terminalMode)} (coverage ${event.value.coverageObserved})`;
    default:
      return undefined;
  }
}

function printResult(res: RunResponse): void {
  console.log(res.responseText);
  console.log("");
  console.log("claims:");
  for (const claim of res.claimMap?.claims ?? []) {
    const cited = claim.evidenceUnitIds.length === 0 ? "no evidence" : `cites ${claim.evidenceUnitIds.join(", ")}`;
    console.log(`  [${ClaimStatus[claim.status] ?? "UNSPECIFIED"}] ${claim.claimText} (${cited})`);
  }
  if (res.citedEvidence.length > 0) {
    console.log("evidence:");
    for (const ref of res.citedEvidence) console.log(`  ${ref.evidenceUnitId} ${ref.sourceSystem}:${ref.objectId}`);
  }
  const stats = res.stats;
  if (stats) {
    console.log(
      `stats: ${(StopReason[stats.stopReason] ?? "UNSPECIFIED").toLowerCase()}, ${stats.operatorCallsUsed} calls, ` +
        `${stats.bytesUsed} bytes, depth ${stats.depthUsed}, ${stats.wallclockMs} ms`,
    );
  }
  console.log(`session ${res.sessionId}, trace ${res.traceId}`);
  console.log(`terminal mode: ${modeName(res.terminalMode)}`);
}

/** Runs `pecr run`; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        principal: { type: "string", default: "dev" },
        url: { type: "string", default: "http://127.0.0.1:8081" },
        stream: { type: "boolean", default: false },
        token: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const question = parsed.positionals.join(" ").trim();
  if (parsed.values.help || question === "") {
    console.error(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const headers: Record<string, string> = {};
  if (parsed.values.token) headers.authorization = `Bearer ${parsed.values.token}`;
  else headers["x-pecr-principal-id"] = parsed.values.principal;
  const secret = process.env.PECR_LOCAL_AUTH_SHARED_SECRET?.trim();
  if (secret) headers["x-pecr-local-auth-secret"] = secret;

  const client = createClient(ControllerService, createConnectTransport({ baseUrl: parsed.values.url, httpVersion: "2" }));
  try {
    let result: RunResponse | undefined;
    if (parsed.values.stream) {
      for await (const event of client.runStream({ query: question }, { headers })) {
        if (event.event.case === "result") result = event.event.value;
        const line = describeEvent(event.event);
        if (line !== undefined) console.log(`> ${line}`);
      }
      if (result === undefined) throw new Error("the stream ended without a result");
    } else {
      result = await client.run({ query: question }, { headers });
    }
    printResult(result);
    const ok = result.terminalMode !== TerminalMode.SOURCE_UNAVAILABLE && result.terminalMode !== TerminalMode.UNSPECIFIED;
    return ok ? 0 : 1;
  } catch (error) {
    const connectError = ConnectError.from(error);
    const detail = findErrorDetail(connectError);
    const hint = detail ? `, terminal mode hint ${modeName(detail.terminalModeHint)}` : "";
    console.error(`error: ${connectError.rawMessage} (${detail?.code ?? connectError.code}${hint})`);
    return 1;
  }
}
