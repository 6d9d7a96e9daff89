/**
 * A stand-in ControllerService on 127.0.0.1 (HTTP/2 cleartext, port 0) that answers every Run with a fixed
 * response: the way to show an answer the real controller never produces (unmarked authorship, a supported claim
 * without evidence) being stopped by the MCP server's answer rules.
 */
import { createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ControllerService, type RunResponse, RunResponseSchema } from "#gen/pecr/controller/v1/controller_pb.js";

/** A running fake controller. */
export interface FakeController {
  /** Its base URL. */
  readonly url: string;
  /** Sets the next responses of Run. */
  respond(response: RunResponse): void;
  /** How many runs it served. */
  runs(): number;
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts the fake. */
export async function startFakeController(): Promise<FakeController> {
  let response = create(RunResponseSchema);
  let runs = 0;
  const server = createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(ControllerService, {
          run: () => {
            runs++;
            return response;
          },
        }),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    respond: (next) => void (response = next),
    runs: () => runs,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
