/**
 * The MCP server's configuration, read once into one typed object. Like the controller, the server is
 * non-privileged: its only outbound targets are the gateway (and the controller for `ask`), and its credentials
 * come from here, never from tool arguments.
 *
 * Variables: `PECR_GATEWAY_URL` (required), `PECR_CONTROLLER_URL` (enables `ask`), credentials
 * (`PECR_MCP_PRINCIPAL_ID` plus `PECR_LOCAL_AUTH_SHARED_SECRET` when the gateway has one, or
 * `PECR_MCP_BEARER_TOKEN`), the grant (`PECR_MCP_ALLOWED_TOOLS`, `PECR_MCP_SCOPE_PREFIXES`, `PECR_MCP_BUDGET_JSON`,
 * `PECR_MCP_CONSENT_JSON`), `PECR_MCP_CALL_TIMEOUT_MS`, and the TLS of both connections (`PECR_GATEWAY_CA_PATH`, ...,
 * `PECR_CONTROLLER_CA_PATH`, ...).
 */
import { create, fromJsonString } from "@bufbuild/protobuf";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import { type ClientTlsConfig, readClientTlsConfig, type TlsConfigDeps } from "#core/auth/tls-config.js";
import type { ConfigReader } from "#core/config/config-reader.js";
import { StartupError } from "#core/config/startup-error.js";
import { type Budget, BudgetSchema } from "#gen/pecr/v1/budget_pb.js";
import type { EnforcementGrant } from "../rules/enforcement-types.js";
import { OPERATOR_TOOL_NAMES, type ToolName } from "../tools/tool-names.js";
import { parseConsentJson } from "./consent-json.js";

/** The credentials the server presents to the gateway and the controller. */
export type McpCredentials =
  | { readonly kind: "local"; readonly principalId: string; readonly sharedSecret: string | undefined }
  | { readonly kind: "bearer"; readonly token: string };

/** The MCP server's configuration. */
export interface McpConfig {
  /** `PECR_GATEWAY_URL`: the gateway (http:// h2c or https://). */
  readonly gatewayUrl: URL;
  /** TLS of the gateway connection. */
  readonly gatewayTls: ClientTlsConfig | undefined;
  /** `PECR_CONTROLLER_URL`: the controller `ask` runs on; without it there is no `ask` tool. */
  readonly controllerUrl: URL | undefined;
  /** TLS of the controller connection. */
  readonly controllerTls: ClientTlsConfig | undefined;
  /** Who the server is. */
  readonly credentials: McpCredentials;
  /** What the rules allow. */
  readonly grant: EnforcementGrant;
  /** `PECR_MCP_CALL_TIMEOUT_MS` (30000): deadline of each gateway call and of each `ask` run. */
  readonly callTimeoutMs: number;
}

/** The budget of the server's sessions and the largest `ask` may request when none is configured. */
export const DEFAULT_MCP_BUDGET_JSON =
  '{"max_operator_calls":10,"max_bytes":1048576,"max_wallclock_ms":10000,"max_recursion_depth":5,"max_parallelism":4}';

/** Optional dependencies. */
export interface ReadMcpConfigDeps {
  /** Reads TLS files (tests). */
  readonly tls?: TlsConfigDeps;
  /** Budget validator; default `createValidator()`. */
  readonly validator?: Validator;
}

function readUrl(reader: ConfigReader, key: string, required: boolean): URL | undefined {
  const raw = required ? reader.requiredString(key) : reader.optionalString(key);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", `${key} is not a valid URL`, { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new StartupError("ERR_INVALID_CONFIG", `${key} must be an http:// or https:// URL`);
  return url;
}

function list(reader: ConfigReader, key: string): string[] | undefined {
  const raw = reader.optionalString(key);
  return raw === undefined ? undefined : raw.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

function readCredentials(reader: ConfigReader): McpCredentials {
  const token = reader.optionalString("PECR_MCP_BEARER_TOKEN");
  const principalId = reader.optionalString("PECR_MCP_PRINCIPAL_ID");
  if (token !== undefined && principalId !== undefined) {
    throw new StartupError("ERR_INVALID_CONFIG", "set either PECR_MCP_PRINCIPAL_ID or PECR_MCP_BEARER_TOKEN, not both");
  }
  if (token !== undefined) return { kind: "bearer", token };
  if (principalId === undefined) throw new StartupError("ERR_MISSING_CONFIG", "PECR_MCP_PRINCIPAL_ID or PECR_MCP_BEARER_TOKEN is required");
  return { kind: "local", principalId, sharedSecret: reader.optionalString("PECR_LOCAL_AUTH_SHARED_SECRET") };
}

function readBudget(reader: ConfigReader, validator: Validator): Budget {
  const text = reader.string("PECR_MCP_BUDGET_JSON", DEFAULT_MCP_BUDGET_JSON);
  let budget: Budget;
  try {
    budget = fromJsonString(BudgetSchema, text);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_MCP_BUDGET_JSON is not a pecr.v1.Budget in JSON", { cause });
  }
  if (validator.validate(BudgetSchema, budget).kind !== "valid") {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_MCP_BUDGET_JSON is out of range");
  }
  return create(BudgetSchema, budget);
}

/** Reads the configuration; throws StartupError on missing or invalid values. */
export function readMcpConfig(reader: ConfigReader, deps: ReadMcpConfigDeps = {}): McpConfig {
  const gatewayUrl = readUrl(reader, "PECR_GATEWAY_URL", true) as URL;
  const controllerUrl = readUrl(reader, "PECR_CONTROLLER_URL", false);
  const available: readonly ToolName[] = controllerUrl === undefined ? OPERATOR_TOOL_NAMES : [...OPERATOR_TOOL_NAMES, "ask"];
  const tools = list(reader, "PECR_MCP_ALLOWED_TOOLS") ?? [...available];
  const unknown = tools.filter((tool) => !(available as readonly string[]).includes(tool));
  if (unknown.length > 0) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_MCP_ALLOWED_TOOLS names a tool that does not exist (ask needs PECR_CONTROLLER_URL)");
  }
  const scopePrefixes = list(reader, "PECR_MCP_SCOPE_PREFIXES") ?? ["fs:public/", "view:safe_customer_view_public"];
  if (scopePrefixes.some((prefix) => !/^(?:fs|view):/.test(prefix))) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_MCP_SCOPE_PREFIXES entries must start with fs: or view:");
  }
  return {
    gatewayUrl,
    gatewayTls: readClientTlsConfig(reader.source, "PECR_GATEWAY_", deps.tls),
    controllerUrl,
    controllerTls: readClientTlsConfig(reader.source, "PECR_CONTROLLER_", deps.tls),
    credentials: readCredentials(reader),
    grant: {
      allowedTools: new Set(tools),
      scopePrefixes: [...new Set(scopePrefixes)].sort(),
      maxBudget: readBudget(reader, deps.validator ?? createValidator()),
      consent: parseConsentJson(reader.optionalString("PECR_MCP_CONSENT_JSON")),
    },
    callTimeoutMs: reader.integer("PECR_MCP_CALL_TIMEOUT_MS", 30_000, { min: 1, max: 600_000 }),
  };
}
