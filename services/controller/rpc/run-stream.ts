/**
 * `ControllerService.RunStream`: the same run as `Run`, streaming each event as it happens and the final response
 * last. The run reports through a callback (calls of one step finish concurrently); Node's `events.on` turns the
 * callbacks into the async iterable Connect streams, queueing events the client has not read yet.
 */
import { ConnectError, type HandlerContext } from "@connectrpc/connect";
import { EventEmitter, on } from "node:events";
import type { RunStreamRequest, RunStreamResponse } from "#gen/pecr/controller/v1/controller_pb.js";
import { type RunDeps, runQuestion } from "../run/run-question.js";
import { type RunInputContext, runInputOf } from "./run-input.js";

/** Creates the RunStream handler. */
export function createRunStreamHandler(context: RunInputContext & { readonly run: RunDeps }) {
  return async function* runStream(request: RunStreamRequest, handler: HandlerContext): AsyncGenerator<RunStreamResponse> {
    const input = runInputOf(request, handler, context);
    const emitter = new EventEmitter();
    // Listeners are attached before the run starts, so no event can be missed.
    const events = on(emitter, "event", { close: ["end"], signal: handler.signal });
    void runQuestion(input, context.run, (event) => emitter.emit("event", event)).then(
      () => emitter.emit("end"),
      (error: unknown) => {
        // When the client has gone, the iterator has detached its listeners (and an "error" event without a
        // listener would throw): the failure is only logged, with its code.
        if (emitter.listenerCount("error") > 0) emitter.emit("error", error);
        else input.logger.info({ code: ConnectError.from(error).code }, "controller.run_stream_abandoned");
      },
    );
    for await (const [event] of events) yield event as RunStreamResponse;
  };
}
