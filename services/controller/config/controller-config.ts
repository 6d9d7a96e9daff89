/**
 * The controller's configuration (reference §5.1 with DESIGN.md §8's decisions), read once at startup into one
 * typed object the composition root builds everything from. The controller is non-privileged by construction:
 * there is no database URL, corpus path or policy here, and the gateway is its only outbound target.
 */
import { type Validator, createValidator } from "@bufbuild/protovalidate";
import { type AuthConfig, readAuthConfig } from "#core/auth/auth-config.js";
import { checkBindAllowed, metricsRequireAuth } from "#core/auth/bind-rules.js";
import {
  type ClientTlsConfig,
  type ServerTlsConfig,
  type TlsConfigDeps,
  readClientTlsConfig,
  readServerTlsConfig,
} from "#core/auth/tls-config.js";
import type { ConfigReader, HostPort } from "#core/config/config-reader.js";
import { StartupError } from "#core/config/startup-error.js";
import { LOG_LEVELS, type LogLevel } from "#core/observability/logger.js";
import type { Budget } from "#gen/pecr/v1/budget_pb.js";
import type { PlanStep } from "../planners/plan-step.js";
import { parseBaselinePlan } from "./baseline-plan-json.js";
import { parseBudgetJson } from "./budget-json.js";

/** The planners a controller can run. */
export const PLANNER_NAMES = ["extractive", "mock"] as const;

/** A planner's name. */
export type PlannerName = (typeof PLANNER_NAMES)[number];

/** The controller's configuration. */
export interface ControllerConfig {
  /** `PECR_CONTROLLER_BIND_ADDR` (127.0.0.1:8081). */
  readonly bind: HostPort;
  /** `PECR_LOG_LEVEL` (info): the least severe level logged. */
  readonly logLevel: LogLevel;
  /** `PECR_GATEWAY_URL` (required): the gateway, http:// (h2c) or https:// (TLS). */
  readonly gatewayUrl: URL;
  /** TLS of the gateway connection (`PECR_GATEWAY_CA_PATH`, `..._CLIENT_CERT_PATH`, `..._CLIENT_KEY_PATH`). */
  readonly gatewayTls: ClientTlsConfig | undefined;
  /**
   * `PECR_GATEWAY_CALL_TIMEOUT_MS` (10000): the deadline of CreateSession and Finalize when less than this is
   * left of the run's wallclock budget, so a spent budget still opens and closes its session.
   */
  readonly gatewayCallTimeoutMs: number;
  /** `PECR_BUDGET_DEFAULTS` (required): the budget of requests that carry none. */
  readonly budgetDefaults: Budget;
  /** `PECR_CONTROLLER_PLANNER` (`extractive`). */
  readonly planner: PlannerName;
  /** `PECR_BASELINE_PLAN`: the `mock` planner's plan; undefined means the default plan. */
  readonly baselinePlan: readonly PlanStep[] | undefined;
  /** `PECR_RATE_LIMIT_WINDOW_SECS` (60). */
  readonly rateLimitWindowSecs: number;
  /** `PECR_RATE_LIMIT_RUN_PER_WINDOW` (60): runs per window and principal; 0 disables the limit. */
  readonly rateLimitRunPerWindow: number;
  /** `PECR_METRICS_REQUIRE_AUTH` (default: true on a non-loopback bind). */
  readonly metricsRequireAuth: boolean;
  /** `PECR_CORS_ALLOWED_ORIGINS`: comma-separated origins (`*` for any); empty disables CORS. */
  readonly corsAllowedOrigins: readonly string[];
  /** `PECR_READ_MAX_BYTES` (1 MiB): largest request message accepted. */
  readonly readMaxBytes: number;
  /** Authentication (`PECR_AUTH_MODE`, ...). */
  readonly auth: AuthConfig;
  /** Server TLS (`PECR_TLS_CERT_PATH`, ...); undefined means h2c + HTTP/1.1. */
  readonly serverTls: ServerTlsConfig | undefined;
}

/** Optional dependencies of `readControllerConfig`. */
export interface ReadControllerConfigDeps {
  /** Reads TLS files (tests). */
  readonly tls?: TlsConfigDeps;
  /** protovalidate validator for the budget and plan parameters; default `createValidator()`. */
  readonly validator?: Validator;
}

function list(reader: ConfigReader, key: string): string[] {
  return (reader.optionalString(key) ?? "").split(",").map((item) => item.trim()).filter((item) => item !== "");
}

function readGatewayUrl(reader: ConfigReader): URL {
  const raw = reader.requiredString("PECR_GATEWAY_URL");
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_GATEWAY_URL is not a valid URL", { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_GATEWAY_URL must be an http:// or https:// URL");
  }
  return url;
}

/**
 * Reads the controller's configuration; throws StartupError (ERR_MISSING_CONFIG, ERR_INVALID_CONFIG,
 * ERR_INVALID_BUDGET_JSON, ERR_INVALID_BUDGET, ERR_NONLOCAL_BIND_REQUIRES_AUTH).
 */
export function readControllerConfig(reader: ConfigReader, deps: ReadControllerConfigDeps = {}): ControllerConfig {
  const validator = deps.validator ?? createValidator();
  const bind = reader.hostPort("PECR_CONTROLLER_BIND_ADDR", "127.0.0.1:8081");
  const auth = readAuthConfig(reader.source);
  checkBindAllowed({
    host: bind.host,
    authMode: auth.mode,
    devAllowNonlocalBind: auth.devAllowNonlocalBind,
    sharedSecret: auth.mode === "local" ? auth.sharedSecret : undefined,
  });
  const gatewayUrl = readGatewayUrl(reader);
  const gatewayTls = readClientTlsConfig(reader.source, "PECR_GATEWAY_", deps.tls);
  if (gatewayTls !== undefined && gatewayUrl.protocol !== "https:") {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_GATEWAY_CA_PATH and client certificates need an https:// PECR_GATEWAY_URL");
  }
  const planText = reader.optionalString("PECR_BASELINE_PLAN");
  const metricsConfigured =
    reader.optionalString("PECR_METRICS_REQUIRE_AUTH") === undefined
      ? undefined
      : reader.boolean("PECR_METRICS_REQUIRE_AUTH", false);
  return {
    bind,
    gatewayUrl,
    gatewayTls,
    gatewayCallTimeoutMs: reader.integer("PECR_GATEWAY_CALL_TIMEOUT_MS", 10_000, { min: 1, max: 300_000 }),
    budgetDefaults: parseBudgetJson(reader.requiredString("PECR_BUDGET_DEFAULTS"), validator),
    planner: reader.oneOf("PECR_CONTROLLER_PLANNER", PLANNER_NAMES, "extractive"),
    logLevel: reader.oneOf("PECR_LOG_LEVEL", LOG_LEVELS, "info"),
    baselinePlan: planText === undefined ? undefined : parseBaselinePlan(planText, validator),
    rateLimitWindowSecs: reader.integer("PECR_RATE_LIMIT_WINDOW_SECS", 60, { min: 1 }),
    rateLimitRunPerWindow: reader.integer("PECR_RATE_LIMIT_RUN_PER_WINDOW", 60, { min: 0 }),
    metricsRequireAuth: metricsRequireAuth(bind.host, metricsConfigured),
    corsAllowedOrigins: list(reader, "PECR_CORS_ALLOWED_ORIGINS"),
    readMaxBytes: reader.integer("PECR_READ_MAX_BYTES", 1024 * 1024, { min: 1024 }),
    auth,
    serverTls: readServerTlsConfig(reader.source, "PECR_TLS_", deps.tls),
  };
}
