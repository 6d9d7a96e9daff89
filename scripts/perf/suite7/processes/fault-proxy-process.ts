/**
 * A TCP fault proxy (test/support/tcp-fault-proxy.ts) in its own process, so the bytes it pipes between the
 * gateway and Postgres never compete with the load generator's event loop. Usage:
 * `fault-proxy-process.ts <host> <port>`; prints `proxy listening on <port>`, then obeys IPC messages
 * `{ op: "cut", mode?: "refuse" | "reset" }` and `{ op: "restore" }`, answering `{ op, done: true }` (or
 * `{ op, error }`) once applied.
 */
import { startTcpFaultProxy } from "../../../../test/support/tcp-fault-proxy.js";
import { terminationSignal } from "./service-logger.js";

/** A command from the suite. */
interface ProxyCommand {
  readonly op: "cut" | "restore";
  readonly mode?: "refuse" | "reset";
}

const [host, port] = process.argv.slice(2);
if (host === undefined || port === undefined || !/^\d+$/.test(port)) {
  console.error("usage: fault-proxy-process.ts <host> <port>");
  process.exit(2);
}
const proxy = await startTcpFaultProxy({ host, port: Number(port) });
process.on("message", (message: ProxyCommand) => {
  const apply = async () => {
    if (message.op === "cut") proxy.cut(message.mode ?? "refuse");
    else await proxy.restore();
  };
  apply().then(
    () => process.send?.({ op: message.op, done: true }),
    (error: unknown) => process.send?.({ op: message.op, error: String(error) }),
  );
});
console.log(`proxy listening on ${proxy.port}`);
await terminationSignal();
await proxy.close();
process.disconnect?.();
