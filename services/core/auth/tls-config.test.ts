import test from "ava";
import { StartupError } from "#core/config/startup-error.js";
import { readClientTlsConfig, readServerTlsConfig } from "./tls-config.js";

// These cases fail before any file content matters; certificates that really work are covered by
// test/integration/auth (generated with openssl).
const files = (readFile: (path: string) => Buffer = () => Buffer.from("")) => ({ readFile });

function startupError(t: import("ava").ExecutionContext, read: () => unknown): StartupError | undefined {
  return t.throws(read, { instanceOf: StartupError });
}

test("no server certificate means no TLS", (t) => {
  t.is(readServerTlsConfig({}, undefined, files()), undefined);
});

test("server certificate and key must be configured together, and a client CA needs both", (t) => {
  for (const env of [
    { PECR_TLS_CERT_PATH: "cert.pem" },
    { PECR_TLS_KEY_PATH: "key.pem" },
    { PECR_TLS_CLIENT_CA_PATH: "ca.pem" },
  ]) {
    t.is(startupError(t, () => readServerTlsConfig(env, undefined, files()))?.code, "ERR_INVALID_CONFIG");
  }
});

test("an unreadable file is invalid config naming the variable, not the path", (t) => {
  const error = startupError(t, () =>
    readServerTlsConfig(
      { PECR_TLS_CERT_PATH: "cert.pem", PECR_TLS_KEY_PATH: "key.pem" },
      undefined,
      files(() => {
        throw new Error("ENOENT");
      }),
    ),
  );
  t.is(error?.code, "ERR_INVALID_CONFIG");
  t.is(error?.message, "cannot read PECR_TLS_CERT_PATH");
});

test("files that are not PEM are invalid config", (t) => {
  const error = startupError(t, () =>
    readServerTlsConfig(
      { PECR_TLS_CERT_PATH: "cert.pem", PECR_TLS_KEY_PATH: "key.pem" },
      undefined,
      files(() => Buffer.from("not pem")),
    ),
  );
  t.is(error?.code, "ERR_INVALID_CONFIG");
});

test("no client TLS variable means default client options", (t) => {
  t.is(readClientTlsConfig({}, undefined, files()), undefined);
});

test("a client certificate needs its key and vice versa", (t) => {
  for (const env of [{ PECR_GATEWAY_CLIENT_CERT_PATH: "c.pem" }, { PECR_GATEWAY_CLIENT_KEY_PATH: "k.pem" }]) {
    t.is(startupError(t, () => readClientTlsConfig(env, undefined, files()))?.code, "ERR_INVALID_CONFIG");
  }
});

test("the variable prefix is configurable", (t) => {
  t.is(readServerTlsConfig({ PECR_TLS_CERT_PATH: "cert.pem" }, "PECR_OTHER_TLS_", files()), undefined);
  t.is(
    startupError(t, () => readServerTlsConfig({ PECR_OTHER_TLS_CERT_PATH: "c" }, "PECR_OTHER_TLS_", files()))?.message,
    "PECR_OTHER_TLS_CERT_PATH and PECR_OTHER_TLS_KEY_PATH must be set together",
  );
});
