/**
 * Throwaway X.509 material for TLS tests, made with the `openssl` CLI in a temporary directory (node:crypto
 * cannot issue certificates): a CA, a server certificate for 127.0.0.1/localhost and a client certificate, all
 * signed by that CA and valid for one day.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** PEM material for a TLS test. */
export interface TestCertificates {
  /** The CA certificate. */
  readonly caCert: string;
  /** Server certificate (SAN 127.0.0.1 and localhost). */
  readonly serverCert: string;
  /** Server private key. */
  readonly serverKey: string;
  /** Client certificate (clientAuth). */
  readonly clientCert: string;
  /** Client private key. */
  readonly clientKey: string;
  /** Directory holding the files (`server.crt`, `server.key`, `ca.crt`, ...). */
  readonly dir: string;
  /** Deletes the directory. */
  remove(): Promise<void>;
}

async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", subject]);
  await run("openssl", [
    "x509", "-req", "-in", csr, "-CA", join(dir, "ca.crt"), "-CAkey", join(dir, "ca.key"), "-CAcreateserial",
    "-out", join(dir, `${name}.crt`), "-days", "1", "-extfile", ext,
  ]);
}

/** Creates a CA plus server and client certificates in a new temporary directory. */
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), "pecr-tls-"));
  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.crt"), "-days", "1", "-subj", "/CN=pecr test ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await issue(dir, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await issue(dir, "client", "/CN=pecr test client", "extendedKeyUsage=clientAuth\n");
  const read = (file: string) => readFile(join(dir, file), "utf8");
  return {
    caCert: await read("ca.crt"),
    serverCert: await read("server.crt"),
    serverKey: await read("server.key"),
    clientCert: await read("client.crt"),
    clientKey: await read("client.key"),
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
