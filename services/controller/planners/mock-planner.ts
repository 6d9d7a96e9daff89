/**
 * The `mock` planner: the original's fixed plan (reference §5.1), or `PECR_BASELINE_PLAN`. It gathers evidence
 * but states nothing, so its answer is the canned UNKNOWN text and the run ends INSUFFICIENT_EVIDENCE (or the
 * hint of the error that stopped it). It exists for the budget semantics and the benchmark.
 */
import { create } from "@bufbuild/protobuf";
import { AuthorshipSchema, TextOrigin } from "#gen/pecr/v1/claim_pb.js";
import type { EvidenceUnitRef } from "#gen/pecr/v1/evidence_pb.js";
import { type OperatorParams, OperatorParamsSchema } from "#gen/pecr/v1/operator_pb.js";
import type { Planner } from "./planner.js";
import { type PlanStep, defaultBaselinePlan, renderOperatorStep } from "./plan-step.js";

/** Creates the mock planner running `plan` (default: the original's four-step plan). */
export function createMockPlanner(plan: readonly PlanStep[] = defaultBaselinePlan()): Planner {
  return {
    name: "mock",
    authorship: create(AuthorshipSchema, {
      origin: TextOrigin.MODEL_GENERATED,
      generator: "pecr-controller/mock@1",
      aiGenerated: true,
    }),
    async answer(input, loop) {
      let searchRefs: readonly EvidenceUnitRef[] = [];
      for (const step of plan) {
        let calls: OperatorParams[];
        if (step.kind === "operator") {
          calls = [renderOperatorStep(step, input.query)];
        } else {
          calls = searchRefs.slice(0, step.maxRefs).map((ref) =>
            create(OperatorParamsSchema, { params: { case: "fetchSpan", value: { objectId: ref.objectId } } }),
          );
        }
        const outcome = await loop.step(calls);
        for (const result of outcome.results) if (result?.operator === "search") searchRefs = result.refs;
        if (outcome.stopped) break;
      }
      return { claims: [] };
    },
  };
}
