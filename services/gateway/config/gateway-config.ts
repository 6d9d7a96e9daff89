/**
 * The gateway's configuration, read once from the environment (and the optional `PECR_CONFIG_PATH` file) into
 * one typed object that the composition root builds everything from. Variable names and defaults follow
 * reference §2.1, with PECR-TS's decisions: the ledger defaults to embedded PGlite (no `PECR_DB_URL`), the
 * policy to the embedded engine (no `PECR_OPA_URL`), and the default as_of time is "now".
 */
import type { ConfigReader, HostPort } from "#core/config/config-reader.js";
import { LOG_LEVELS, type LogLevel } from "#core/observability/logger.js";
import { StartupError } from "#core/config/startup-error.js";
import { type McpAuditOptions, readMcpAuditOptions } from "../mcp/mcp-audit-options.js";

/** Operators a deployment may enable. */
export const ALL_OPERATORS = ["search", "fetch_span", "fetch_rows", "aggregate", "list_versions", "diff", "redact"] as const;

/** An operator's snake_case name. */
export type OperatorName = (typeof ALL_OPERATORS)[number];

/**
 * The gateway's own configuration. Auth (`readAuthConfig`), TLS (`readServerTlsConfig`) and the ledger
 * (`readLedgerConfig`: PECR_DB_URL, PECR_DATA_DIR, PECR_DB_SCHEMA, payload mode, checkpoints) are read by their
 * modules from the same source.
 */
export interface GatewayConfig {
  /** Where to listen. */
  readonly bind: HostPort;
  /** `PECR_LOG_LEVEL` (info): the least severe level logged. */
  readonly logLevel: LogLevel;
  /** Real Postgres for the ledger; undefined means embedded PGlite under `dataDir`. */
  readonly dbUrl: string | undefined;
  /** Postgres holding the safe views; defaults to the ledger's database. */
  readonly safeViewDbUrl: string | undefined;
  /** Apply db/fixtures/safeview.sql at startup (default: when the ledger is embedded). */
  readonly loadFixtures: boolean;
  /** OPA server; undefined means the embedded evaluator. */
  readonly opaUrl: string | undefined;
  /** The policy bundle directory (always read: its hash is part of every snapshot). */
  readonly policyBundleDir: string;
  /** OPA client: per-attempt timeout, ms. */
  readonly opaTimeoutMs: number;
  /** OPA client: retries after the first attempt. */
  readonly opaRetryMaxAttempts: number;
  /** OPA client: base of the jittered exponential backoff, ms. */
  readonly opaRetryBaseBackoffMs: number;
  /** OPA client: consecutive failures that open the circuit. */
  readonly opaCircuitBreakerFailureThreshold: number;
  /** OPA client: how long the circuit stays open, ms. */
  readonly opaCircuitBreakerOpenMs: number;
  /** Operators enabled, in allowlist order. */
  readonly operatorAllowlist: readonly OperatorName[];
  /** Decision and search caches: entries (0 disables). */
  readonly cacheMaxEntries: number;
  /** Decision and search caches: time to live in ms (0 disables). */
  readonly cacheTtlMs: number;
  /** Bound of each ledger operation and of session-lease acquisition, ms. */
  readonly ledgerWriteTimeoutMs: number;
  /** Lifetime of session capability tokens, seconds. */
  readonly sessionTokenTtlSecs: number;
  /** Sessions whose last committed state is kept for calls without the lease (0: every call takes the lease). */
  readonly sessionStateCacheEntries: number;
  /** Root of the document corpus. */
  readonly fsCorpusPath: string;
  /** Largest document read, bytes. */
  readonly fsMaxObjectBytes: number;
  /** Largest diff emitted, bytes (0: no cap). */
  readonly fsDiffMaxBytes: number;
  /** Postgres statement timeout of safe-view queries, ms. */
  readonly pgSafeViewQueryTimeoutMs: number;
  /** Rows returned at most by fetch_rows. */
  readonly pgSafeViewMaxRows: number;
  /** Fields requested at most. */
  readonly pgSafeViewMaxFields: number;
  /** Groups returned at most by aggregate. */
  readonly pgSafeViewMaxGroups: number;
  /** Rate-limit window, seconds. */
  readonly rateLimitWindowSecs: number;
  /** Sessions per window and principal (0: unlimited). */
  readonly rateLimitSessionsPerWindow: number;
  /** Operator calls per window and principal (0: unlimited). */
  readonly rateLimitOperatorsPerWindow: number;
  /** Finalize calls per window and principal (0: unlimited). */
  readonly rateLimitFinalizePerWindow: number;
  /** Audit RPC calls per window and principal (0: unlimited). */
  readonly rateLimitAuditPerWindow: number;
  /** The finalize gate's coverage threshold. */
  readonly coverageThreshold: number;
  /** Default as_of time of sessions: `now`, or a fixed RFC 3339 UTC second. */
  readonly asOfTimeDefault: "now" | Date;
  /** Largest request body accepted, bytes. */
  readonly readMaxBytes: number;
  /** Origins allowed by CORS (`*` for any); empty disables CORS. */
  readonly corsAllowedOrigins: readonly string[];
  /** Settings of the MCP audit service (`PECR_DATA_RESIDENCY_REGION`). */
  readonly mcpAudit: McpAuditOptions;
}

const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Parses `YYYY-MM-DDTHH:MM:SSZ` with a real calendar check; undefined when invalid. */
export function parseRfc3339Seconds(value: string): Date | undefined {
  if (!RFC3339_SECONDS.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || date.toISOString().replace(".000Z", "Z") !== value ? undefined : date;
}

function list(reader: ConfigReader, key: string, defaultValue: readonly string[]): string[] {
  const raw = reader.optionalString(key);
  if (raw === undefined) return [...defaultValue];
  return raw.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/** Reads the gateway's configuration; throws StartupError on invalid values. */
export function readGatewayConfig(reader: ConfigReader): GatewayConfig {
  const allowlist = list(reader, "PECR_OPERATOR_ALLOWLIST", ALL_OPERATORS);
  for (const name of allowlist) {
    if (!(ALL_OPERATORS as readonly string[]).includes(name)) {
      throw new StartupError("ERR_INVALID_CONFIG", "PECR_OPERATOR_ALLOWLIST names an unknown operator");
    }
  }
  const asOfRaw = reader.string("PECR_AS_OF_TIME_DEFAULT", "now");
  let asOfTimeDefault: "now" | Date = "now";
  if (asOfRaw !== "now") {
    const parsed = parseRfc3339Seconds(asOfRaw);
    if (parsed === undefined) {
      throw new StartupError("ERR_INVALID_CONFIG", "PECR_AS_OF_TIME_DEFAULT must be now or RFC3339 UTC (YYYY-MM-DDTHH:MM:SSZ)");
    }
    asOfTimeDefault = parsed;
  }
  const dbUrl = reader.optionalString("PECR_DB_URL");
  return {
    bind: reader.hostPort("PECR_BIND_ADDR", "127.0.0.1:8080"),
    logLevel: reader.oneOf("PECR_LOG_LEVEL", LOG_LEVELS, "info"),
    dbUrl,
    safeViewDbUrl: reader.optionalString("PECR_SAFEVIEW_DB_URL") ?? dbUrl,
    loadFixtures: reader.boolean("PECR_LOAD_FIXTURES", dbUrl === undefined),
    opaUrl: reader.optionalString("PECR_OPA_URL"),
    policyBundleDir: reader.string("PECR_POLICY_BUNDLE_DIR", "opa/bundle"),
    opaTimeoutMs: reader.integer("PECR_OPA_TIMEOUT_MS", 200, { min: 1 }),
    opaRetryMaxAttempts: reader.integer("PECR_OPA_RETRY_MAX_ATTEMPTS", 2, { min: 0, max: 10 }),
    opaRetryBaseBackoffMs: reader.integer("PECR_OPA_RETRY_BASE_BACKOFF_MS", 50, { min: 0 }),
    opaCircuitBreakerFailureThreshold: reader.integer("PECR_OPA_CIRCUIT_BREAKER_FAILURE_THRESHOLD", 8, { min: 1 }),
    opaCircuitBreakerOpenMs: reader.integer("PECR_OPA_CIRCUIT_BREAKER_OPEN_MS", 1000, { min: 1 }),
    operatorAllowlist: ALL_OPERATORS.filter((name) => allowlist.includes(name)),
    cacheMaxEntries: reader.integer("PECR_CACHE_MAX_ENTRIES", 0, { min: 0 }),
    cacheTtlMs: reader.integer("PECR_CACHE_TTL_MS", 0, { min: 0 }),
    ledgerWriteTimeoutMs: reader.integer("PECR_LEDGER_WRITE_TIMEOUT_MS", 2000, { min: 1 }),
    sessionTokenTtlSecs: reader.integer("PECR_SESSION_TOKEN_TTL_SECS", 900, { min: 1 }),
    sessionStateCacheEntries: reader.integer("PECR_SESSION_STATE_CACHE_ENTRIES", 10000, { min: 0 }),
    fsCorpusPath: reader.string("PECR_FS_CORPUS_PATH", "fixtures/fs_corpus"),
    fsMaxObjectBytes: reader.integer("PECR_FS_MAX_OBJECT_BYTES", 4 * 1024 * 1024, { min: 1 }),
    fsDiffMaxBytes: reader.integer("PECR_FS_DIFF_MAX_BYTES", 32768, { min: 0 }),
    pgSafeViewQueryTimeoutMs: reader.integer("PECR_PG_SAFEVIEW_QUERY_TIMEOUT_MS", 200, { min: 1 }),
    pgSafeViewMaxRows: reader.integer("PECR_PG_SAFEVIEW_MAX_ROWS", 200, { min: 1, max: 10000 }),
    pgSafeViewMaxFields: reader.integer("PECR_PG_SAFEVIEW_MAX_FIELDS", 50, { min: 1 }),
    pgSafeViewMaxGroups: reader.integer("PECR_PG_SAFEVIEW_MAX_GROUPS", 200, { min: 1, max: 10000 }),
    rateLimitWindowSecs: reader.integer("PECR_RATE_LIMIT_WINDOW_SECS", 60, { min: 1 }),
    rateLimitSessionsPerWindow: reader.integer("PECR_RATE_LIMIT_SESSIONS_PER_WINDOW", 60, { min: 0 }),
    rateLimitOperatorsPerWindow: reader.integer("PECR_RATE_LIMIT_OPERATORS_PER_WINDOW", 240, { min: 0 }),
    rateLimitFinalizePerWindow: reader.integer("PECR_RATE_LIMIT_FINALIZE_PER_WINDOW", 120, { min: 0 }),
    rateLimitAuditPerWindow: reader.integer("PECR_RATE_LIMIT_AUDIT_PER_WINDOW", 60, { min: 0 }),
    coverageThreshold: reader.number("PECR_COVERAGE_THRESHOLD", 0.95, { min: 0, max: 1 }),
    asOfTimeDefault,
    readMaxBytes: reader.integer("PECR_READ_MAX_BYTES", 4 * 1024 * 1024, { min: 1024 }),
    corsAllowedOrigins: list(reader, "PECR_CORS_ALLOWED_ORIGINS", []),
    mcpAudit: readMcpAuditOptions(reader.source),
  };
}
