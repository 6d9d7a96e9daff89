/**
 * TLS settings read from the environment and turned into Node options:
 * - server side (`PECR_TLS_CERT_PATH`, `PECR_TLS_KEY_PATH`, optional `PECR_TLS_CLIENT_CA_PATH` for mTLS) for
 *   `http2.createSecureServer`, offering h2 and http/1.1 over ALPN;
 * - client side (`PECR_GATEWAY_CA_PATH`, `PECR_GATEWAY_CLIENT_CERT_PATH`, `PECR_GATEWAY_CLIENT_KEY_PATH`) for
 *   connect-node's `nodeOptions`, so the controller verifies the gateway against a private CA and presents a
 *   client certificate.
 * Files are read and checked once at startup, so a bad path or a key that does not match its certificate stops
 * the service instead of failing the first handshake.
 */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { createConfigReader } from "#core/config/config-reader.js";
import type { ConfigSource } from "#core/config/config-source.js";
import { StartupError } from "#core/config/startup-error.js";

/**
 * Options for `http2.createSecureServer` (assignable to `http2.SecureServerOptions`, and to the server
 * front's `{cert, key, ca, requestCert}`).
 */
export interface ServerTlsConfig {
  /** Server certificate chain (PEM). */
  readonly cert: Buffer;
  /** Server private key (PEM). */
  readonly key: Buffer;
  /** CA that client certificates must chain to (mTLS); absent when client certificates are not required. */
  readonly ca?: Buffer;
  /** Ask clients for a certificate (mTLS). */
  readonly requestCert: boolean;
  /** Refuse clients without a certificate signed by `ca` (mTLS). */
  readonly rejectUnauthorized: boolean;
  /** Serve HTTP/1.1 as well as HTTP/2 (Connect and gRPC-Web over HTTP/1.1). */
  readonly allowHTTP1: true;
  /** ALPN offer, HTTP/2 first. */
  readonly ALPNProtocols: string[];
  /** Oldest TLS version accepted. */
  readonly minVersion: "TLSv1.2";
}

/** TLS options of an outgoing connection (connect-node `nodeOptions`; Node `tls.connect`). */
export interface ClientTlsConfig {
  /** CA that the server certificate must chain to; Node's default roots when absent. */
  readonly ca?: Buffer;
  /** Client certificate chain (PEM) presented for mTLS. */
  readonly cert?: Buffer;
  /** Client private key (PEM). */
  readonly key?: Buffer;
}

/** Optional dependencies of the TLS readers. */
export interface TlsConfigDeps {
  /** Reads a file; defaults to `fs.readFileSync`. */
  readonly readFile?: (path: string) => Buffer;
}

/**
 * Reads the server TLS settings (`<prefix>CERT_PATH`, `<prefix>KEY_PATH`, `<prefix>CLIENT_CA_PATH`, prefix
 * `PECR_TLS_` by default). Returns undefined when no certificate is configured (plain h2c + HTTP/1.1).
 */
export function readServerTlsConfig(
  source: ConfigSource,
  prefix = "PECR_TLS_",
  deps: TlsConfigDeps = {},
): ServerTlsConfig | undefined {
  const config = createConfigReader(source);
  const read = fileReader(deps);
  const certPath = config.optionalString(`${prefix}CERT_PATH`);
  const keyPath = config.optionalString(`${prefix}KEY_PATH`);
  const caPath = config.optionalString(`${prefix}CLIENT_CA_PATH`);
  if (certPath === undefined && keyPath === undefined) {
    if (caPath !== undefined) {
      throw invalid(`${prefix}CLIENT_CA_PATH requires ${prefix}CERT_PATH and ${prefix}KEY_PATH`);
    }
    return undefined;
  }
  if (certPath === undefined || keyPath === undefined) {
    throw invalid(`${prefix}CERT_PATH and ${prefix}KEY_PATH must be set together`);
  }
  const cert = read(`${prefix}CERT_PATH`, certPath);
  const key = read(`${prefix}KEY_PATH`, keyPath);
  const ca = caPath === undefined ? undefined : read(`${prefix}CLIENT_CA_PATH`, caPath);
  checkSecureContext(prefix, { cert, key, ca });
  const mutual = ca !== undefined;
  return {
    cert,
    key,
    ...(ca === undefined ? {} : { ca }),
    requestCert: mutual,
    rejectUnauthorized: mutual,
    allowHTTP1: true,
    ALPNProtocols: ["h2", "http/1.1"],
    minVersion: "TLSv1.2",
  };
}

/**
 * Reads the TLS settings of a client (`<prefix>CA_PATH`, `<prefix>CLIENT_CERT_PATH`, `<prefix>CLIENT_KEY_PATH`,
 * prefix `PECR_GATEWAY_` by default). Returns undefined when none is set (default roots, no client
 * certificate).
 */
export function readClientTlsConfig(
  source: ConfigSource,
  prefix = "PECR_GATEWAY_",
  deps: TlsConfigDeps = {},
): ClientTlsConfig | undefined {
  const config = createConfigReader(source);
  const read = fileReader(deps);
  const caPath = config.optionalString(`${prefix}CA_PATH`);
  const certPath = config.optionalString(`${prefix}CLIENT_CERT_PATH`);
  const keyPath = config.optionalString(`${prefix}CLIENT_KEY_PATH`);
  if (caPath === undefined && certPath === undefined && keyPath === undefined) return undefined;
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw invalid(`${prefix}CLIENT_CERT_PATH and ${prefix}CLIENT_KEY_PATH must be set together`);
  }
  const ca = caPath === undefined ? undefined : read(`${prefix}CA_PATH`, caPath);
  const cert = certPath === undefined ? undefined : read(`${prefix}CLIENT_CERT_PATH`, certPath);
  const key = keyPath === undefined ? undefined : read(`${prefix}CLIENT_KEY_PATH`, keyPath);
  checkSecureContext(prefix, { cert, key, ca });
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

function fileReader(deps: TlsConfigDeps): (name: string, path: string) => Buffer {
  const readFile = deps.readFile ?? ((path: string) => readFileSync(path));
  return (name, path) => {
    try {
      return readFile(path);
    } catch (cause) {
      throw invalid(`cannot read ${name}`, cause);
    }
  };
}

/** Builds a secure context once, which parses the PEM files and checks that the key matches the certificate. */
function checkSecureContext(prefix: string, parts: { cert?: Buffer; key?: Buffer; ca?: Buffer }): void {
  try {
    createSecureContext(parts);
  } catch (cause) {
    throw invalid(`${prefix}* files are not a usable certificate, key and CA (PEM; key must match certificate)`, cause);
  }
}

function invalid(message: string, cause?: unknown): StartupError {
  return new StartupError("ERR_INVALID_CONFIG", message, cause === undefined ? undefined : { cause });
}
