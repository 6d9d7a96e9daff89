/**
 * What the k6 scripts share, in plain JavaScript with no k6 import so Node can test it against the generated
 * protos: method paths, metadata header names, and reading a PECR terminal mode from a k6 gRPC response —
 * from the message on success, else from the `pecr.v1.ErrorDetail` in the error's details (k6 renders both as
 * protobuf JSON: lowerCamelCase fields, enum value names, details as `Any` objects with an `@type`).
 */

/** The gRPC method paths the scripts call. */
export const METHODS = {
  run: "pecr.controller.v1.ControllerService/Run",
  createSession: "pecr.gateway.v1.GatewayService/CreateSession",
  fetchRows: "pecr.gateway.v1.GatewayService/FetchRows",
  fetchSpan: "pecr.gateway.v1.GatewayService/FetchSpan",
  echo: "pecr.testing.v1.EchoService/Echo",
};

/** The proto files to load (relative to the proto directory), ErrorDetail's included so details decode. */
export const PROTO_FILES = {
  controller: ["pecr/controller/v1/controller.proto", "pecr/v1/error.proto"],
  gateway: ["pecr/gateway/v1/gateway.proto", "pecr/v1/error.proto"],
  echo: ["pecr/testing/v1/echo.proto"],
};

/** Metadata naming the caller in local auth mode. */
export const PRINCIPAL_HEADER = "x-pecr-principal-id";
/** Metadata carrying the local-auth shared secret, when the services are configured with one. */
export const LOCAL_AUTH_SECRET_HEADER = "x-pecr-local-auth-secret";

/**
 * The caller's metadata in local auth mode: its principal id, and the shared secret when one is given (services
 * bound beyond loopback, as in compose.yaml, require it).
 */
export function callerMetadata(principal, secret) {
  return secret ? { [PRINCIPAL_HEADER]: principal, [LOCAL_AUTH_SECRET_HEADER]: secret } : { [PRINCIPAL_HEADER]: principal };
}

/** Metadata carrying a session's capability token (returned by CreateSession in its response headers). */
export const SESSION_TOKEN_HEADER = "x-pecr-session-token";

/** gRPC status OK. */
const STATUS_OK = 0;
const ERROR_DETAIL_TYPE = "type.googleapis.com/pecr.v1.ErrorDetail";
const MODE_NAMES = ["UNSPECIFIED", "SUPPORTED", "INSUFFICIENT_EVIDENCE", "INSUFFICIENT_PERMISSION", "SOURCE_UNAVAILABLE"];

/** A terminal mode's short name (`SUPPORTED`) from its JSON form (`TERMINAL_MODE_SUPPORTED` or a number). */
export function modeName(value) {
  if (typeof value === "number") return MODE_NAMES[value] || String(value);
  if (typeof value === "string") return value.replace(/^TERMINAL_MODE_/, "");
  return "";
}

/** The terminal mode a k6 gRPC response reports, or "" when it reports none. */
export function terminalModeOf(response) {
  if (!response) return "";
  if (response.status === STATUS_OK) return response.message ? modeName(response.message.terminalMode) : "";
  const details = (response.error && response.error.details) || [];
  for (const detail of details) {
    if (detail && detail["@type"] === ERROR_DETAIL_TYPE) return modeName(detail.terminalModeHint);
  }
  return "";
}

/**
 * Renew a load session after this many calls or this age (ms), ahead of the budget of
 * requests/create-session.json (10 000 calls, 300 s of wallclock), as the suite's own load generator does
 * (scripts/perf/suite7/workloads.ts): a run longer than the wallclock budget would otherwise end in budget errors.
 */
export const SESSION_MAX_CALLS = 9900;
export const SESSION_MAX_AGE_MS = 240000;

/** Whether `session` (`{ calls, openedAt }`, openedAt in ms) may take another call at time `now` (ms). */
export function sessionUsable(session, now) {
  return session !== null && session.calls < SESSION_MAX_CALLS && now - session.openedAt < SESSION_MAX_AGE_MS;
}

/** The first value of response header `name` (k6 gives header values as arrays). */
export function headerOf(response, name) {
  const values = response && response.headers ? response.headers[name] : undefined;
  return Array.isArray(values) ? values[0] || "" : values || "";
}
