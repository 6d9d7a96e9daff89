/**
 * The ledger's Postgres driver as patched in patches/ (postgres.js 3.4.9 leaves a closed connection's write
 * timer armed, so the connection never sends anything again, and can throw from that timer, killing the process),
 * and its reconnect backoff. The socket is an in-memory stream handed to the driver, so the closing moment is
 * exact: no server, no timing luck.
 */
import test from "ava";
import { Duplex } from "node:stream";
import postgres from "postgres";
import { reconnectDelaySeconds } from "./postgres-database.js";

/** A socket that records what the driver writes; the first one closes before the driver's first write flushes. */
class RecordingSocket extends Duplex {
  readonly written: Buffer[] = [];
  constructor(private readonly closeBeforeFlush: boolean) {
    super();
  }
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    // The driver subscribes to "data" right before buffering its startup message and scheduling the flush on
    // the next turn; an immediate queued now runs before that flush, so the socket closes with the write pending.
    if (event === "data" && this.closeBeforeFlush) setImmediate(() => this.destroy());
    return this;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.written.push(chunk);
    done();
  }
}

test("a connection that closed with a write pending sends its startup message on the next socket", async (t) => {
  const sockets: RecordingSocket[] = [];
  // `socket` (a factory for the connection's stream) is a documented driver option its typings omit.
  const options = {
    socket: () => {
      const socket = new RecordingSocket(sockets.length === 0);
      sockets.push(socket);
      return socket;
    },
    max: 1,
    backoff: () => 0,
    connect_timeout: 2,
    onnotice: () => undefined,
  } as postgres.Options<{}>;
  const sql = postgres(options);
  t.teardown(() => sql.end({ timeout: 0 }));
  const query = sql`SELECT 1`.catch((error: unknown) => error);

  const deadline = Date.now() + 5000;
  while ((sockets[1]?.written.length ?? 0) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(sockets.length >= 2, true, "the driver did not reconnect");
  t.is(sockets[0]!.written.length, 0);
  const startup = Buffer.concat(sockets[1]!.written);
  t.true(startup.length >= 8, "the second socket received nothing: the unpatched driver's stale write timer");
  // A StartupMessage: length, then protocol version 3.0.
  t.is(startup.readInt32BE(4), 196608);
  void query;
});

test("the reconnect delay grows with failures, stays jittered, and never exceeds one second", (t) => {
  for (let retries = 0; retries <= 40; retries++) {
    for (let sample = 0; sample < 20; sample++) {
      const delay = reconnectDelaySeconds(retries);
      t.true(delay > 0 && delay <= 1, `retries ${retries}: ${delay}`);
      t.true(delay >= Math.min(0.05 * 2 ** retries, 1) / 2, `retries ${retries}: ${delay}`);
    }
  }
  t.true(reconnectDelaySeconds(0) <= 0.05);
});
