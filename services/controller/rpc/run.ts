/**
 * `ControllerService.Run`: answers a question and returns the finalized answer.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { RunRequest, RunResponse } from "#gen/pecr/controller/v1/controller_pb.js";
import { type RunDeps, runQuestion } from "../run/run-question.js";
import { type RunInputContext, runInputOf } from "./run-input.js";

/** Creates the Run handler. */
export function createRunHandler(context: RunInputContext & { readonly run: RunDeps }) {
  return (request: RunRequest, handler: HandlerContext): Promise<RunResponse> =>
    runQuestion(runInputOf(request, handler, context), context.run);
}
