/**
 * Readiness: the service's checks (ledger, policy engine, database, ...) run with a time bound, so a hung
 * dependency makes the service "not ready" instead of hanging the probe.
 */

/** A service's readiness checks: each named dependency and whether it is usable now. */
export type ReadinessCheck = () => Promise<Record<string, boolean>>;

/** The outcome of a readiness evaluation. */
export interface ReadinessReport {
  /** True when every check passed (no checks means ready). */
  readonly ready: boolean;
  /** Each check's result, keys sorted. */
  readonly checks: Record<string, boolean>;
  /** Why the checks themselves failed (threw or timed out), for the log; never sent. */
  readonly error?: unknown;
}

/** Default bound on one readiness evaluation. */
export const DEFAULT_READINESS_TIMEOUT_MS = 2000;

/** Runs `check` within `timeoutMs`; a throw or a timeout is a not-ready report. */
export async function evaluateReadiness(
  check: ReadinessCheck | undefined,
  timeoutMs = DEFAULT_READINESS_TIMEOUT_MS,
): Promise<ReadinessReport> {
  if (!check) return { ready: true, checks: {} };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`readiness checks exceeded ${timeoutMs} ms`)), timeoutMs);
    });
    const results = await Promise.race([check(), timeout]);
    const checks: Record<string, boolean> = {};
    for (const key of Object.keys(results).sort()) checks[key] = results[key] === true;
    return { ready: Object.values(checks).every(Boolean), checks };
  } catch (error) {
    return { ready: false, checks: {}, error };
  } finally {
    clearTimeout(timer);
  }
}
