/**
 * The gateway's composition root: parses the configuration once and builds everything from it (ledger, policy
 * engine, corpus, safe views, metrics, logger, server), then serves. The one place that knows concrete
 * implementations; everything else receives `GatewayDeps`.
 */
import { readFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { readAuthConfig } from "#core/auth/auth-config.js";
import { createAuthenticator } from "#core/auth/authenticator.js";
import { checkBindAllowed, metricsRequireAuth } from "#core/auth/bind-rules.js";
import { readServerTlsConfig } from "#core/auth/tls-config.js";
import { createConfigReader } from "#core/config/config-reader.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { StartupError } from "#core/config/startup-error.js";
import { createLogger } from "#core/observability/logger.js";
import { createAppMetrics } from "#core/observability/metrics.js";
import { newUlid } from "#core/observability/request-ids.js";
import { type RunningServer, startServer } from "#core/server/server.js";
import { createFsCorpus } from "./adapters/fs-corpus/fs-corpus.js";
import { createSafeViewRunner } from "./adapters/pg-safeview/safe-view-runner.js";
import { FIXTURE_SAFE_VIEWS } from "./adapters/pg-safeview/view-specs.js";
import { type GatewayConfig, readGatewayConfig } from "./config/gateway-config.js";
import type { LedgerDatabase } from "./ledger/database.js";
import type { Ledger } from "./ledger/ledger.js";
import { readLedgerConfig } from "./ledger/ledger-config.js";
import { openLedger } from "./ledger/open-ledger.js";
import { createPostgresDatabase } from "./ledger/postgres-database.js";
import { createGatewayMetrics } from "./observability/gateway-metrics.js";
import { createSearchCache } from "./operators/search-cache.js";
import { createEmbeddedEngine } from "./policy/embedded-engine.js";
import { loadBundle } from "./policy/bundle.js";
import { createOpaHttpEngine } from "./policy/opa-http/opa-http-engine.js";
import type { PolicyEngine } from "./policy/policy-engine.js";
import { createGatewayInterceptors } from "./rpc/gateway-interceptors.js";
import { gatewayRoutes } from "./rpc/gateway-routes.js";
import type { Clock, GatewayDeps } from "./runtime/gateway-deps.js";
import { createSessionStateCache } from "./sessions/session-state-cache.js";
import { createSessionQueue } from "./sessions/session-queue.js";
import { mintSessionToken } from "./sessions/session-token.js";
import { createVersionBytesCache } from "./sources/version-bytes-cache.js";
import { createVersionCatalog } from "./sources/version-catalog.js";
import { boundLedger } from "./runtime/bounded-ledger.js";

/** Options of `startGateway` beyond the configuration source (tests inject here). */
export interface StartGatewayOptions {
  /** Configuration values (environment merged with `PECR_CONFIG_PATH`). */
  readonly source: ConfigSource;
  /** Logger; default a JSON logger on stdout. */
  readonly logger?: Logger;
  /** Policy engine; default from configuration. */
  readonly policy?: PolicyEngine;
  /** Listen on this port instead of the configured one (0 in tests). */
  readonly port?: number;
  /** Shutdown signal. */
  readonly shutdownSignal?: AbortSignal;
  /** Wall clock; default the system clock (tests move time forward with their own). */
  readonly clock?: Clock;
}

/** A running gateway. */
export interface GatewayApp {
  /** The server (url, port). */
  readonly server: RunningServer;
  /** The dependencies it was built from. */
  readonly deps: GatewayDeps;
  /** Stops serving and releases everything. */
  close(): Promise<void>;
}

const FIXTURES_SQL = new URL("../../db/fixtures/safeview.sql", import.meta.url);

async function createPolicyEngine(config: GatewayConfig): Promise<PolicyEngine> {
  if (config.opaUrl === undefined) return createEmbeddedEngine({ bundleDir: config.policyBundleDir });
  const bundle = await loadBundle(config.policyBundleDir);
  return createOpaHttpEngine({
    url: config.opaUrl,
    bundleHash: bundle.hash,
    timeoutMs: config.opaTimeoutMs,
    retryMaxAttempts: config.opaRetryMaxAttempts,
    retryBaseBackoffMs: config.opaRetryBaseBackoffMs,
    circuitBreakerFailureThreshold: config.opaCircuitBreakerFailureThreshold,
    circuitBreakerOpenMs: config.opaCircuitBreakerOpenMs,
    cacheMaxEntries: config.cacheMaxEntries,
    cacheTtlMs: config.cacheTtlMs,
  });
}

/** Starts a gateway. Throws StartupError on invalid configuration or unavailable dependencies. */
export async function startGateway(options: StartGatewayOptions): Promise<GatewayApp> {
  const reader = createConfigReader(options.source);
  const config = readGatewayConfig(reader);
  const auth = readAuthConfig(options.source);
  checkBindAllowed({
    host: config.bind.host,
    authMode: auth.mode,
    devAllowNonlocalBind: auth.devAllowNonlocalBind,
    sharedSecret: auth.mode === "local" ? auth.sharedSecret : undefined,
  });
  const tls = readServerTlsConfig(options.source);
  const logger = options.logger ?? createLogger({ service: "pecr-gateway", level: config.logLevel });
  const authenticator = await createAuthenticator(auth);

  const cleanup: (() => Promise<void>)[] = [];
  try {
    let opened: Ledger;
    try {
      opened = await openLedger(readLedgerConfig(options.source));
    } catch (cause) {
      throw new StartupError("ERR_LEDGER_UNAVAILABLE", "cannot open the ledger", { cause });
    }
    cleanup.push(() => opened.close());
    const ledger = boundLedger(opened, config.ledgerWriteTimeoutMs);

    let viewsDb: LedgerDatabase = ledger.db;
    if (config.safeViewDbUrl !== undefined && config.safeViewDbUrl !== config.dbUrl) {
      viewsDb = createPostgresDatabase({ url: config.safeViewDbUrl, schema: reader.string("PECR_SAFEVIEW_DB_SCHEMA", "public") });
      const separate = viewsDb;
      cleanup.push(() => separate.close());
    }
    try {
      if (config.loadFixtures) {
        const fixtures = await readFile(FIXTURES_SQL, "utf8");
        await viewsDb.begin((tx) => tx.script(fixtures));
      }
    } catch (cause) {
      throw new StartupError("ERR_DB_UNAVAILABLE", "cannot load the safe-view fixtures", { cause });
    }
    const safeViews = createSafeViewRunner(viewsDb, Math.max(config.ledgerWriteTimeoutMs, config.pgSafeViewQueryTimeoutMs + 1000));
    try {
      await safeViews.checkSchema(FIXTURE_SAFE_VIEWS);
    } catch (cause) {
      throw new StartupError("ERR_INVALID_CONFIG", cause instanceof Error ? cause.message : "safe-view schema mismatch", { cause });
    }

    let policy: PolicyEngine;
    try {
      policy = options.policy ?? (await createPolicyEngine(config));
    } catch (cause) {
      throw new StartupError("ERR_INVALID_POLICY_BUNDLE", cause instanceof Error ? cause.message : "invalid policy bundle", { cause });
    }
    cleanup.push(() => policy.close());

    const metrics = createAppMetrics({ collectProcessMetrics: true });
    const deps: GatewayDeps = {
      config,
      ledger,
      policy,
      corpus: createFsCorpus({ root: config.fsCorpusPath, maxObjectBytes: config.fsMaxObjectBytes }),
      safeViews,
      viewSpecs: new Map(FIXTURE_SAFE_VIEWS.map((spec) => [spec.viewId, spec])),
      searchCache: createSearchCache(config.cacheMaxEntries, config.cacheTtlMs),
      versionBytes: createVersionBytesCache(64 * 1024 * 1024),
      versionCatalog: createVersionCatalog(ledger),
      metrics: createGatewayMetrics(metrics),
      logger,
      clock: options.clock ?? { now: () => new Date() },
      ids: { ulid: () => newUlid(), sessionToken: mintSessionToken },
      sessionQueue: createSessionQueue(),
      sessionStates: createSessionStateCache(config.sessionStateCacheEntries),
      instanceId: randomUUID(),
    };

    const server = await startServer({
      service: "gateway",
      routes: gatewayRoutes(deps),
      logger,
      metrics,
      host: config.bind.host,
      port: options.port ?? config.bind.port,
      tls,
      corsAllowedOrigins: config.corsAllowedOrigins,
      readMaxBytes: config.readMaxBytes,
      metricsRequireAuth: metricsRequireAuth(config.bind.host, reader.optionalString("PECR_METRICS_REQUIRE_AUTH") === undefined ? undefined : reader.boolean("PECR_METRICS_REQUIRE_AUTH", true)),
      shutdownSignal: options.shutdownSignal,
      interceptors: {
        authenticate: ({ header }) => authenticator.authenticate(header),
        inner: createGatewayInterceptors(config, deps.metrics),
      },
      readiness: async () => ({
        ledger: await ledger.db.sql`SELECT 1`.then(() => true, () => false),
        policy: await policy.ready().catch(() => false),
        safe_views: viewsDb === ledger.db ? true : await viewsDb.sql`SELECT 1`.then(() => true, () => false),
      }),
    });
    // The server has printed the startup line (`pecr-gateway listening`); this one says which policy engine decides.
    logger.info({ trace_id: "startup", request_id: "startup", policy_engine: policy.kind }, "gateway.policy_engine");
    return {
      server,
      deps,
      async close() {
        await server.close();
        for (const step of cleanup.reverse()) await step().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    throw error;
  }
}
