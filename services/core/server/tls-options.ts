/**
 * TLS settings of a server, given as PEM contents or as file paths (read once at startup). `requestCert`
 * turns on mTLS: clients must present a certificate signed by `ca`, checked during the handshake.
 */
import { readFile } from "node:fs/promises";
import { StartupError } from "#core/config/startup-error.js";
import type { FrontTlsOptions } from "./protocol-front.js";

/** TLS settings; each of cert, key and ca is given as PEM or as a path. */
export interface ServerTlsOptions {
  /** Certificate chain, PEM. */
  readonly cert?: string | Buffer;
  /** Path of the certificate chain PEM file. */
  readonly certPath?: string;
  /** Private key, PEM. */
  readonly key?: string | Buffer;
  /** Path of the private key PEM file. */
  readonly keyPath?: string;
  /** CA bundle for client certificates, PEM. */
  readonly ca?: string | Buffer;
  /** Path of the CA bundle PEM file. */
  readonly caPath?: string;
  /** Require and verify client certificates (mTLS); needs `ca`/`caPath`. */
  readonly requestCert?: boolean;
}

async function material(
  name: string,
  pem: string | Buffer | undefined,
  path: string | undefined,
): Promise<string | Buffer | undefined> {
  if (pem !== undefined) return pem;
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (cause) {
    throw new StartupError("ERR_INVALID_CONFIG", `cannot read TLS ${name} file`, { cause });
  }
}

/** Loads the TLS material; a missing certificate or key, or mTLS without a CA, is ERR_INVALID_CONFIG. */
export async function loadTlsOptions(options: ServerTlsOptions): Promise<FrontTlsOptions> {
  const cert = await material("certificate", options.cert, options.certPath);
  const key = await material("key", options.key, options.keyPath);
  const ca = await material("CA", options.ca, options.caPath);
  if (cert === undefined || key === undefined) {
    throw new StartupError("ERR_INVALID_CONFIG", "TLS needs both a certificate and a key");
  }
  if (options.requestCert && ca === undefined) {
    throw new StartupError("ERR_INVALID_CONFIG", "client certificate verification needs a CA");
  }
  return { cert, key, ...(ca !== undefined ? { ca } : {}), requestCert: options.requestCert ?? false };
}
