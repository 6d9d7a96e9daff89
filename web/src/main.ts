/**
 * The browser page's script: a Connect-Web client of the controller (cross-origin: the page is served from
 * another origin than the controller, which allows it through CORS). It calls Run, renders the answer, then
 * calls RunStream and lists each event as it arrives. Bundled with esbuild (see web/build.ts).
 */
import { createClient, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ControllerService, type RunStreamResponse } from "#gen/pecr/controller/v1/controller_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";

/** One line per stream event: its kind and what a person needs to follow the run. */
export function describeEvent(event: RunStreamResponse): string {
  switch (event.event.case) {
    case "sessionStarted":
      return `sessionStarted ${event.event.value.sessionId}`;
    case "operatorCall":
      return `operatorCall ${event.event.value.step} ${event.event.value.params?.params.case ?? "unknown"} ${TerminalMode[event.event.value.outcome]}`;
    case "evidence":
      return `evidence ${event.event.value.step} ${event.event.value.refs.map((ref) => ref.objectId).join(",")}`;
    case "finalize":
      return `finalize ${TerminalMode[event.event.value.terminalMode]}`;
    case "result":
      return `result ${TerminalMode[event.event.value.terminalMode]}`;
    default:
      return "unknown";
  }
}

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found;
}

function appendItem(listId: string, text: string): void {
  const item = document.createElement("li");
  item.textContent = text;
  element(listId).append(item);
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const baseUrl = params.get("controller") ?? "";
  const principal = params.get("principal") ?? "";
  const query = params.get("query") ?? "";
  const client = createClient(ControllerService, createConnectTransport({ baseUrl }));
  const headers = { "x-pecr-principal-id": principal };

  element("status").textContent = "running";
  const answer = await client.run({ query }, { headers });
  element("terminal-mode").textContent = TerminalMode[answer.terminalMode] ?? "UNKNOWN";
  element("answer").textContent = answer.responseText;
  for (const ref of answer.citedEvidence) appendItem("citations", ref.objectId);

  element("status").textContent = "streaming";
  for await (const event of client.runStream({ query }, { headers })) appendItem("events", describeEvent(event));
  element("status").textContent = "done";
}

main().catch((error: unknown) => {
  element("status").textContent = `error: ${ConnectError.from(error).code} ${ConnectError.from(error).rawMessage}`;
});
