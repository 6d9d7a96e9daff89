/**
 * Settings of the gateway's MCP audit service, read from the gateway's configuration source.
 */
import { createConfigReader } from "#core/config/config-reader.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { StartupError } from "#core/config/startup-error.js";

/** How MCP enforcement events are recorded. */
export interface McpAuditOptions {
  /**
   * `PECR_DATA_RESIDENCY_REGION`: the data-residency region of this deployment's processing, written on every
   * enforcement event when set (the cross-border transfer assessment hook); absent for single-jurisdiction setups.
   */
  readonly dataResidencyRegion: string | undefined;
}

const REGION = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Reads the options; throws StartupError ERR_INVALID_CONFIG for a malformed region. */
export function readMcpAuditOptions(source: ConfigSource): McpAuditOptions {
  const region = createConfigReader(source).optionalString("PECR_DATA_RESIDENCY_REGION");
  if (region !== undefined && !REGION.test(region)) {
    throw new StartupError("ERR_INVALID_CONFIG", "PECR_DATA_RESIDENCY_REGION must be 1..64 letters, digits or _.:-");
  }
  return { dataResidencyRegion: region };
}
