/**
 * The embedded policy engine: the bundle is compiled once at startup by the in-process Rego evaluator (any
 * unsupported construct or builtin fails here, with file:line:col and its name: fail closed at startup), and
 * each decision evaluates `data.pecr.authz.decision` against the input.
 */
import { errors } from "#core/errors/pecr-error.js";
import { loadBundle } from "./bundle.js";
import { parseDecision } from "./decision.js";
import type { DecideOptions, PolicyDecisionResult, PolicyEngine, PolicyInput } from "./policy-engine.js";
import type { CompiledPolicy } from "./rego/compile.js";
import { evaluateDocument, loadPolicy } from "./rego/engine.js";
import { fromJson, toJson } from "./rego/value-json.js";
import type { Value } from "./rego/value.js";

/** The query every decision evaluates. */
export const DECISION_QUERY = "decision = data.pecr.authz.decision";

/** The document every decision evaluates. */
export const DECISION_PATH: readonly string[] = ["pecr", "authz", "decision"];

/** Options of the embedded engine. */
export interface EmbeddedEngineOptions {
  /** Directory of the policy bundle (e.g. `opa/bundle`). */
  readonly bundleDir: string;
  /** Clock for `time.now_ns` (milliseconds since the epoch); defaults to `Date.now`. */
  readonly now?: () => number;
}

/** Loads and compiles the bundle, then returns an engine evaluating it in-process. */
export async function createEmbeddedEngine(options: EmbeddedEngineOptions): Promise<PolicyEngine> {
  const bundle = await loadBundle(options.bundleDir);
  const policy = loadPolicy(bundle.modules);
  const now = options.now ?? Date.now;
  let closed = false;
  return {
    kind: "embedded",
    bundleHash: bundle.hash,
    async decide(input: PolicyInput, decideOptions?: DecideOptions): Promise<PolicyDecisionResult> {
      if (decideOptions?.signal?.aborted === true) throw errors.sourceTimeout("policy engine timeout");
      if (closed) throw errors.sourceUnavailable("policy engine unavailable");
      return decideSync(policy, bundle.data, input, now);
    },
    async ready(): Promise<boolean> {
      return !closed;
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}

/** Evaluates one decision synchronously (the engine's `decide` without the promise). */
export function decideSync(policy: CompiledPolicy, data: Value, input: PolicyInput, now: () => number = Date.now): PolicyDecisionResult {
  let value: Value | undefined;
  try {
    value = evaluateDocument(policy, DECISION_PATH, {
      input: fromJson(input),
      data,
      nowNs: BigInt(Math.trunc(now())) * 1_000_000n,
    });
  } catch (err) {
    // Conflicting values and other evaluation errors mean there is no decision: fail closed.
    throw errors.sourceUnavailable("policy engine unavailable", { cause: err });
  }
  return parseDecision(value === undefined ? undefined : toJson(value));
}
