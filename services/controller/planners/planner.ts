/**
 * The planner interface: a planner drives the context loop (one `step` per plan step, every call going through
 * the loop's budget and allowlist checks) and proposes the answer's claims from what the steps returned. Which
 * planner runs is configuration (`PECR_CONTROLLER_PLANNER`).
 */
import type { Authorship } from "#gen/pecr/v1/claim_pb.js";
import type { ProposedClaim } from "../claims/claim-map.js";
import type { StepExecutor } from "../loop/context-loop.js";

/** What a planner is asked. */
export interface PlannerInput {
  /** The question, trimmed and non-empty. */
  readonly query: string;
}

/** A planner's answer: its statements, each SUPPORTED one citing evidence ids returned by its steps. */
export interface PlannerAnswer {
  /** The statements in answer order; empty when nothing could be said. */
  readonly claims: readonly ProposedClaim[];
}

/** A planner. */
export interface Planner {
  /** Its configured name. */
  readonly name: string;
  /** Who produces its text (stamped on the claim map and the response). */
  readonly authorship: Authorship;
  /**
   * Runs the plan through `loop` and answers. It must return (with what it has) once the loop has stopped, and
   * never reach the gateway other than through `loop.step`.
   */
  answer(input: PlannerInput, loop: StepExecutor): Promise<PlannerAnswer>;
}
