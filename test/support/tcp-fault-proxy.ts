/**
 * A TCP proxy on 127.0.0.1 port 0 in front of a real server (Postgres, an OPA-compatible server), which a test
 * can cut and restore. This is how "the database is down" or "the policy engine is down" is simulated without
 * stopping a server other tests share. A cut destroys every open connection, then either
 * - `refuse`s new ones, as a stopped server does (the listener is closed and re-bound to the same port on
 *   restore; another process taking that ephemeral port in between would make restore fail loudly), or
 * - `reset`s them: accepts and closes each at once, as a proxy or load balancer in front of a dead server does.
 *
 * Written here because it is a few lines of `node:net` piping; the proxy libraries on the registry are HTTP
 * proxies or bring fault schedulers far beyond cut/restore.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";

/** How new connections are treated while cut. */
export type CutMode = "refuse" | "reset";

/** A running proxy. */
export interface TcpFaultProxy {
  /** The proxy's port on 127.0.0.1 (point clients here instead of at the target). */
  readonly port: number;
  /** Connections accepted and forwarded so far. */
  readonly forwarded: number;
  /** Connections refused while cut. */
  readonly refused: number;
  /** Whether the proxy is cut now. */
  readonly isCut: boolean;
  /** Destroys every open connection and refuses (default) or resets new ones until `restore`. */
  cut(mode?: CutMode): void;
  /** Forwards new connections again. */
  restore(): Promise<void>;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Starts a proxy forwarding to `target`. */
export async function startTcpFaultProxy(target: { readonly host: string; readonly port: number }): Promise<TcpFaultProxy> {
  const sockets = new Set<net.Socket>();
  let cut: CutMode | undefined;
  let forwarded = 0;
  let refused = 0;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // Resets are expected when a side is cut; they must not crash the test process.
    socket.on("error", () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    if (cut !== undefined) {
      refused++;
      client.destroy();
      return;
    }
    forwarded++;
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
    get isCut() {
      return cut !== undefined;
    },
    cut(mode = "refuse") {
      if (cut === undefined && mode === "refuse") server.close();
      cut = mode;
      for (const socket of sockets) socket.destroy();
    },
    async restore() {
      if (cut === "refuse") {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
          });
        });
      }
      cut = undefined;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      })),
  };
}
