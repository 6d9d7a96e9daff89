/**
 * The release-blocking end-to-end suites that share one stack per backend (reference §8.1 ported to RPCs):
 * smoke, leakage role matrix, injection, redaction, claim↔evidence, cache isolation, telemetry leakage and
 * observability coverage; the ledger chain must verify once they all ran. Staleness, failure modes, OIDC and bad
 * input need stacks of their own (the other files of this folder).
 */
import test from "ava";
import { forEachBackend } from "./support/backends.js";
import { registerCoreSuites } from "./support/core-stack.js";
import { registerCacheIsolationSuite } from "./suites/cache-isolation.js";
import { registerClaimEvidenceSuite } from "./suites/claim-evidence.js";
import { registerInjectionSuite } from "./suites/injection.js";
import { registerLeakageSuite } from "./suites/leakage.js";
import { registerObservabilitySuite } from "./suites/observability.js";
import { registerRedactionSuite } from "./suites/redaction.js";
import { registerSmokeSuite } from "./suites/smoke.js";
import { registerTelemetrySuite } from "./suites/telemetry.js";

forEachBackend(test, "release suites", (target) =>
  registerCoreSuites(test, target, [
    registerSmokeSuite,
    registerLeakageSuite,
    registerInjectionSuite,
    registerRedactionSuite,
    registerClaimEvidenceSuite,
    registerCacheIsolationSuite,
    registerTelemetrySuite,
    registerObservabilitySuite,
  ]),
);
