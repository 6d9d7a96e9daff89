#!/usr/bin/env -S node --import=tsx
/**
 * `pecr`: the command-line entry point. Each command lives in its own module under scripts/cli and is loaded
 * only when called, so `pecr ledger verify` never loads the MCP SDK and vice versa.
 */
import { commands } from "./cli/commands.js";

const [name, ...args] = process.argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (command === undefined) {
  console.error("usage: pecr <command> [arguments]\n\ncommands:");
  for (const [commandName, { summary }] of Object.entries(commands)) console.error(`  ${commandName.padEnd(10)} ${summary}`);
  process.exitCode = name === undefined || name === "help" || name === "--help" ? 0 : 2;
} else {
  const { run } = await command.load();
  process.exitCode = await run(args);
}
