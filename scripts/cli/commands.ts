/**
 * The registry of `pecr` commands: name, one-line summary and a lazy loader of the module that runs it.
 */

/** A command module: runs with the arguments after the command name and returns the exit code. */
export interface CommandModule {
  /** Runs the command. */
  run(args: string[]): Promise<number>;
}

/** A registered command. */
export interface Command {
  /** One line for the usage text. */
  readonly summary: string;
  /** Loads the command's module. */
  load(): Promise<CommandModule>;
}

/** Every `pecr` command. */
export const commands: Record<string, Command> = {
  serve: { summary: "start the gateway and the controller on embedded defaults (npm start)", load: () => import("./serve.js") },
  gateway: { summary: "run the gateway alone (configured by PECR_* variables)", load: () => import("./gateway.js") },
  controller: { summary: "run the controller alone, against PECR_GATEWAY_URL", load: () => import("./controller.js") },
  ledger: { summary: "migrate, verify or checkpoint the ledger (migrate | verify | checkpoint)", load: () => import("./ledger.js") },
  "opa-serve": { summary: "serve the policy bundle over OPA's REST Data API (embedded engine)", load: () => import("./opa-serve.js") },
  policy: { summary: "test, evaluate or conformance-check policies (test | eval | conformance)", load: () => import("./policy.js") },
  mcp: { summary: "MCP server over stdio or --http, with rule enforcement and audit; mcp approve <id> [--reject]", load: () => import("./mcp.js") },
  run: { summary: "ask the controller a question (pecr run \"question\" [--principal dev] [--url URL] [--stream])", load: () => import("./run.js") },
};
