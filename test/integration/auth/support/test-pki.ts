/**
 * A throwaway X.509 PKI made with the `openssl` command line in a temporary directory: a CA, a server
 * certificate for 127.0.0.1/localhost, a client certificate signed by the CA, and a client certificate signed by
 * an unrelated CA.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Paths of the generated PEM files. */
export interface TestPki {
  /** Directory holding every file. */
  readonly dir: string;
  /** The trusted CA certificate. */
  readonly caCert: string;
  /** Server certificate (SAN IP:127.0.0.1, DNS:localhost) and key, signed by the CA. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Client certificate (CN pecr-controller) and key, signed by the CA. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Client certificate (CN intruder) and key, signed by an unrelated CA. */
  readonly rogueClientCert: string;
  readonly rogueClientKey: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/** Generates the PKI (P-256 keys, valid for one day). */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "pecr-pki-"));
  const path = (name: string) => join(dir, name);
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

  async function createCa(name: string): Promise<void> {
    await run("openssl", [
      "req", "-x509", ...newKey, "-keyout", path(`${name}.key`), "-out", path(`${name}.crt`), "-days", "1",
      "-subj", `/CN=${name}`,
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ]);
  }

  async function issue(name: string, ca: string, commonName: string, extensions: string): Promise<void> {
    await writeFile(path(`${name}.ext`), extensions);
    await run("openssl", [
      "req", ...newKey, "-keyout", path(`${name}.key`), "-out", path(`${name}.csr`), "-subj", `/CN=${commonName}`,
    ]);
    await run("openssl", [
      "x509", "-req", "-in", path(`${name}.csr`), "-CA", path(`${ca}.crt`), "-CAkey", path(`${ca}.key`),
      "-set_serial", String(Date.now()), "-days", "1", "-out", path(`${name}.crt`), "-extfile", path(`${name}.ext`),
    ]);
  }

  try {
    await createCa("ca");
    await createCa("rogue-ca");
    const serverExtensions = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
    await issue("server", "ca", "localhost", serverExtensions);
    await issue("client", "ca", "pecr-controller", "extendedKeyUsage=clientAuth\n");
    await issue("rogue-client", "rogue-ca", "intruder", "extendedKeyUsage=clientAuth\n");
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    dir,
    caCert: path("ca.crt"),
    serverCert: path("server.crt"),
    serverKey: path("server.key"),
    clientCert: path("client.crt"),
    clientKey: path("client.key"),
    rogueClientCert: path("rogue-client.crt"),
    rogueClientKey: path("rogue-client.key"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
