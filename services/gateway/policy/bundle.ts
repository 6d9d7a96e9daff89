/**
 * Loads a policy bundle directory (every `.rego` file, `data.json` files and `.manifest`) and computes its
 * identity, `policy_bundle_hash`, from the files themselves: the domain-separated hash of
 * `PolicyBundleIdentity` with the files sorted by path. Nothing about the bundle is a hand-set constant.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { create } from "@bufbuild/protobuf";
import { hashMessage } from "#core/canonical/domain-hash.js";
import { PolicyBundleIdentitySchema } from "#gen/pecr/v1/identity_pb.js";
import type { RegoSource } from "./rego/engine.js";
import { fromJson } from "./rego/value-json.js";
import { RObject, type Value } from "./rego/value.js";

/** One file of a bundle. */
export interface BundleFile {
  /** Path relative to the bundle root, `/`-separated. */
  readonly path: string;
  /** Exact bytes. */
  readonly content: Uint8Array;
}

/** A loaded bundle. */
export interface PolicyBundle {
  /** The bundle's files, sorted by path. */
  readonly files: readonly BundleFile[];
  /** Its Rego modules. */
  readonly modules: readonly RegoSource[];
  /** Base data from its `data.json` files (merged at their directories' paths). */
  readonly data: Value;
  /** The parsed `.manifest`, when present. */
  readonly manifest: unknown;
  /** `policy_bundle_hash`. */
  readonly hash: string;
}

/** Error in a bundle's files (bad JSON, unreadable directory). */
export class PolicyBundleError extends Error {
  override readonly name = "PolicyBundleError";
}

/** Computes `policy_bundle_hash` for files (sorted here by path). */
export function policyBundleHash(files: readonly BundleFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return hashMessage(PolicyBundleIdentitySchema, create(PolicyBundleIdentitySchema, { files: sorted.map((f) => ({ ...f })) }));
}

/** Loads the bundle in `dir`. */
export async function loadBundle(dir: string): Promise<PolicyBundle> {
  const paths = (await listFiles(dir)).filter((p) => p.endsWith(".rego") || p === ".manifest" || p.endsWith("data.json"));
  const files: BundleFile[] = [];
  for (const path of paths.sort()) {
    const content = new Uint8Array(await readFile(join(dir, ...path.split("/"))));
    files.push({ path, content });
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const modules: RegoSource[] = [];
  let data: Value = new RObject();
  let manifest: unknown;
  for (const f of files) {
    const text = decoder.decode(f.content);
    if (f.path.endsWith(".rego")) {
      modules.push({ path: f.path, text });
    } else if (f.path === ".manifest") {
      manifest = parseJson(text, f.path);
    } else if (f.path === "data.json" || f.path.endsWith("/data.json")) {
      const at = f.path.split("/").slice(0, -1);
      data = mergeAt(data, at, fromJson(parseJson(text, f.path)));
    }
  }
  if (modules.length === 0) throw new PolicyBundleError(`policy bundle ${dir} has no .rego files`);
  return { files, modules, data, manifest, hash: policyBundleHash(files) };
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PolicyBundleError(`${path}: invalid JSON`, { cause: err });
  }
}

/** Merges `value` into `data` at `path` (objects merge recursively; anything else replaces). */
function mergeAt(data: Value, path: readonly string[], value: Value): Value {
  if (path.length === 0) {
    if (data instanceof RObject && value instanceof RObject) {
      const out = RObject.from(data.entries());
      for (const [k, v] of value.entries()) out.set(k, mergeAt(out.get(k) ?? new RObject(), [], v));
      return out;
    }
    return value;
  }
  const [head, ...rest] = path as [string, ...string[]];
  const out = data instanceof RObject ? RObject.from(data.entries()) : new RObject();
  out.set(head, mergeAt(out.get(head) ?? new RObject(), rest, value));
  return out;
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new PolicyBundleError(`cannot read policy bundle directory ${dir}`, { cause: err });
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, p)));
    else if (e.isFile()) out.push(relative(root, p).split(sep).join("/"));
  }
  return out;
}
