/**
 * The controller's routes: `ControllerService` registered on a Connect router. Independent of the server
 * bootstrap, so tests can serve them through `createRouterTransport` as well as a real server.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import type { RunDeps } from "../run/run-question.js";
import { createRunHandler } from "./run.js";
import type { RunInputContext } from "./run-input.js";
import { createRunStreamHandler } from "./run-stream.js";

/** What the routes need: the run's dependencies plus request defaults. */
export interface ControllerRoutesContext extends RunInputContext {
  /** The run's dependencies. */
  readonly run: RunDeps;
}

/** Returns the function registering the controller's RPCs. */
export function createControllerRoutes(context: ControllerRoutesContext): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ControllerService, {
      run: createRunHandler(context),
      runStream: createRunStreamHandler(context),
    });
  };
}
