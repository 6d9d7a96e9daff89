/**
 * The dependencies every gateway domain function receives: built once by the composition root
 * (gateway-app.ts) from the parsed configuration, passed in explicitly, never reached through module state.
 */
import type { Logger } from "pino";
import type { Ledger } from "../ledger/ledger.js";
import type { PolicyEngine } from "../policy/policy-engine.js";
import type { FsCorpus } from "../adapters/fs-corpus/fs-corpus.js";
import type { SafeViewRunner } from "../adapters/pg-safeview/safe-view-runner.js";
import type { SafeViewSpec } from "../adapters/pg-safeview/view-specs.js";
import type { GatewayConfig } from "../config/gateway-config.js";
import type { GatewayMetrics } from "../observability/gateway-metrics.js";
import type { SearchCache } from "../operators/search-cache.js";
import type { VersionBytesCache } from "../sources/version-bytes-cache.js";
import type { VersionCatalog } from "../sources/version-catalog.js";
import type { SessionQueue } from "../sessions/session-queue.js";
import type { SessionStateCache } from "../sessions/session-state-cache.js";

/** The wall clock, injectable so tests control time. */
export interface Clock {
  /** The current time. */
  now(): Date;
}

/** Generators of ids and secrets, injectable so tests are deterministic where they need to be. */
export interface IdSource {
  /** A new ULID (session, snapshot, event, claim map ids). */
  ulid(): string;
  /** A new session capability token (256 random bits). */
  sessionToken(): string;
}

/** Everything the gateway's domain code depends on. */
export interface GatewayDeps {
  /** Parsed configuration. */
  readonly config: GatewayConfig;
  /** The ledger. */
  readonly ledger: Ledger;
  /** The policy engine. */
  readonly policy: PolicyEngine;
  /** The document corpus. */
  readonly corpus: FsCorpus;
  /** Safe-view queries. */
  readonly safeViews: SafeViewRunner;
  /** Allowlisted safe views by id. */
  readonly viewSpecs: ReadonlyMap<string, SafeViewSpec>;
  /** Search result cache (per snapshot and parameters). */
  readonly searchCache: SearchCache;
  /** Immutable source-version bytes, by version id. */
  readonly versionBytes: VersionBytesCache;
  /** Stored versions of source objects (read-through, see version-catalog.ts). */
  readonly versionCatalog: VersionCatalog;
  /** Gateway metrics. */
  readonly metrics: GatewayMetrics;
  /** The gateway's logger. */
  readonly logger: Logger;
  /** The wall clock. */
  readonly clock: Clock;
  /** Id and token generation. */
  readonly ids: IdSource;
  /** In-process turns per session (calls on one session wait here rather than polling the lease). */
  readonly sessionQueue: SessionQueue;
  /** Sessions' state as this instance last committed it, for calls that skip the lease (session-state-cache.ts). */
  readonly sessionStates: SessionStateCache;
  /** This process's identity, the owner of the session leases it takes. */
  readonly instanceId: string;
}
