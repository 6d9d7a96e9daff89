import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { hashMessage } from "#core/canonical/domain-hash.js";
import { PolicyBundleIdentitySchema } from "#gen/pecr/v1/identity_pb.js";
import { loadBundle, PolicyBundleError, policyBundleHash } from "./bundle.js";
import { toJson } from "./rego/value-json.js";

async function bundleDir(t: { teardown(f: () => Promise<void>): void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pecr-bundle-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const POLICY = "package pecr.authz\n\ndefault decision := {\"allow\": false}\n";

test("the bundle hash is the domain-separated hash of its files sorted by path", async (t) => {
  const dir = await bundleDir(t, { "policy.rego": POLICY, ".manifest": '{"roots": ["pecr"]}', "README.md": "not part of it" });
  const bundle = await loadBundle(dir);
  t.deepEqual(bundle.files.map((f) => f.path), [".manifest", "policy.rego"]);
  const expected = hashMessage(
    PolicyBundleIdentitySchema,
    create(PolicyBundleIdentitySchema, {
      files: [
        { path: ".manifest", content: new TextEncoder().encode('{"roots": ["pecr"]}') },
        { path: "policy.rego", content: new TextEncoder().encode(POLICY) },
      ],
    }),
  );
  t.is(bundle.hash, expected);
  t.regex(bundle.hash, /^[0-9a-f]{64}$/);
  t.deepEqual(bundle.manifest, { roots: ["pecr"] });
});

test("any change to a file changes the bundle hash; file order does not", (t) => {
  const a = { path: "a.rego", content: new TextEncoder().encode("package a\n") };
  const b = { path: "b.rego", content: new TextEncoder().encode("package b\n") };
  const b2 = { path: "b.rego", content: new TextEncoder().encode("package b \n") };
  t.is(policyBundleHash([a, b]), policyBundleHash([b, a]));
  t.not(policyBundleHash([a, b]), policyBundleHash([a, b2]));
});

test("data.json files are mounted at their directory's path", async (t) => {
  const dir = await bundleDir(t, {
    "policy.rego": POLICY,
    "data.json": '{"top": 1}',
    "teams/support/data.json": '{"views": ["v1"]}',
  });
  const bundle = await loadBundle(dir);
  t.deepEqual(toJson(bundle.data), { top: 1, teams: { support: { views: ["v1"] } } });
  t.deepEqual(bundle.modules.map((m) => m.path), ["policy.rego"]);
});

test("a bundle without policies, with bad JSON or a missing directory fails to load", async (t) => {
  const empty = await bundleDir(t, { "data.json": "{}" });
  await t.throwsAsync(loadBundle(empty), { instanceOf: PolicyBundleError, message: /no \.rego files/ });
  const badJson = await bundleDir(t, { "policy.rego": POLICY, "data.json": "{" });
  await t.throwsAsync(loadBundle(badJson), { instanceOf: PolicyBundleError, message: /data\.json: invalid JSON/ });
  await t.throwsAsync(loadBundle(join(empty, "missing")), { instanceOf: PolicyBundleError });
});
