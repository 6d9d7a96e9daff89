import test from "ava";
import { type BindCheckInput, checkBindAllowed, isLoopbackHost, metricsRequireAuth } from "./bind-rules.js";
import { StartupError } from "#core/config/startup-error.js";

const local = (host: string, extra: Partial<BindCheckInput> = {}): BindCheckInput => ({
  host,
  authMode: "local",
  devAllowNonlocalBind: false,
  sharedSecret: undefined,
  ...extra,
});

function assertRefused(t: import("ava").ExecutionContext, input: BindCheckInput): void {
  const error = t.throws(() => checkBindAllowed(input), { instanceOf: StartupError });
  t.is(error?.code, "ERR_NONLOCAL_BIND_REQUIRES_AUTH");
}

test("loopback hosts are allowed in local mode", (t) => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) {
    t.notThrows(() => checkBindAllowed(local(host)), host);
  }
});

test("a specific non-loopback address is refused in local mode, even with the override and a secret", (t) => {
  assertRefused(t, local("10.0.0.5"));
  assertRefused(t, local("10.0.0.5", { devAllowNonlocalBind: true, sharedSecret: "s3cret" }));
  assertRefused(t, local("gateway.internal", { devAllowNonlocalBind: true, sharedSecret: "s3cret" }));
});

test("an unspecified address is allowed in local mode only with the override and a non-empty secret", (t) => {
  for (const host of ["0.0.0.0", "::", "[::]"]) {
    assertRefused(t, local(host));
    assertRefused(t, local(host, { devAllowNonlocalBind: true }));
    assertRefused(t, local(host, { devAllowNonlocalBind: true, sharedSecret: "  " }));
    assertRefused(t, local(host, { sharedSecret: "s3cret" }));
    t.notThrows(() => checkBindAllowed(local(host, { devAllowNonlocalBind: true, sharedSecret: "s3cret" })));
  }
});

test("any host is allowed in oidc mode", (t) => {
  for (const host of ["10.0.0.5", "0.0.0.0", "::", "gateway.internal", "127.0.0.1"]) {
    t.notThrows(() => checkBindAllowed(local(host, { authMode: "oidc" })), host);
  }
});

test("metrics require auth by default exactly on non-loopback binds", (t) => {
  t.false(metricsRequireAuth("127.0.0.1", undefined));
  t.true(metricsRequireAuth("0.0.0.0", undefined));
  t.true(metricsRequireAuth("10.0.0.5", undefined));
  t.true(metricsRequireAuth("127.0.0.1", true));
  t.false(metricsRequireAuth("0.0.0.0", false));
});

test("hosts that are not loopback literals or localhost are not loopback", (t) => {
  t.false(isLoopbackHost("128.0.0.1"));
  t.false(isLoopbackHost("::2"));
  t.false(isLoopbackHost("localhost.example.org"));
  t.false(isLoopbackHost(""));
});
