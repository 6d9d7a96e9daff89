/**
 * Non-local bind refusal (reference §6.3): a service reachable from other machines must authenticate callers
 * for real. Local mode trusts the principal header, so it may only listen on loopback, except for the explicit
 * development override with a shared secret on an unspecified address (containers).
 */
import { BlockList, isIP } from "node:net";
import type { AuthMode } from "./auth-config.js";
import { StartupError } from "#core/config/startup-error.js";

/** What the bind decision depends on. */
export interface BindCheckInput {
  /** Host the service listens on (IP literal, optionally in brackets, or `localhost`). */
  readonly host: string;
  /** Authentication mode. */
  readonly authMode: AuthMode;
  /** `PECR_DEV_ALLOW_NONLOCAL_BIND`. */
  readonly devAllowNonlocalBind: boolean;
  /** `PECR_LOCAL_AUTH_SHARED_SECRET`, if any. */
  readonly sharedSecret: string | undefined;
}

/**
 * Throws `StartupError` ERR_NONLOCAL_BIND_REQUIRES_AUTH unless the host is loopback, the mode is oidc, or the
 * dev override is set with a non-empty secret and the host is unspecified (`0.0.0.0`, `::`). Host names other
 * than `localhost` count as non-loopback: what they resolve to is not known here.
 */
export function checkBindAllowed(input: BindCheckInput): void {
  if (isLoopbackHost(input.host) || input.authMode === "oidc") return;
  const secret = input.sharedSecret?.trim() ?? "";
  if (input.devAllowNonlocalBind && isUnspecifiedHost(input.host) && secret !== "") return;
  throw new StartupError(
    "ERR_NONLOCAL_BIND_REQUIRES_AUTH",
    `refusing to listen on non-loopback host ${JSON.stringify(input.host)} without authentication: use ` +
      "PECR_AUTH_MODE=oidc, or PECR_DEV_ALLOW_NONLOCAL_BIND with PECR_LOCAL_AUTH_SHARED_SECRET on 0.0.0.0 or ::",
  );
}

/** Whether `/metrics` requires authentication: as configured, else true on any non-loopback bind. */
export function metricsRequireAuth(host: string, configured: boolean | undefined): boolean {
  return configured ?? !isLoopbackHost(host);
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, IPv4-mapped loopback) or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = unbracket(host);
  if (bare.toLowerCase() === "localhost") return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return LOOPBACK.check(bare, family === 4 ? "ipv4" : "ipv6");
}

/** Whether `host` is the unspecified address (`0.0.0.0`, `::`, or empty, which Node binds to all interfaces). */
export function isUnspecifiedHost(host: string): boolean {
  const bare = unbracket(host);
  if (bare === "") return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return UNSPECIFIED.check(bare, family === 4 ? "ipv4" : "ipv6");
}

function unbracket(host: string): string {
  const trimmed = host.trim();
  return trimmed.startsWith("[") && trimmed.endsWith("]") ? trimmed.slice(1, -1) : trimmed;
}

// Node's BlockList also matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against IPv4 rules.
// Constant lookup tables, not mutable state: safe at module level.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

const UNSPECIFIED = new BlockList();
UNSPECIFIED.addAddress("0.0.0.0", "ipv4");
UNSPECIFIED.addAddress("::", "ipv6");
