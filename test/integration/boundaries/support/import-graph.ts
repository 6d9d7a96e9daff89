/**
 * A small import-graph check for DESIGN.md §1's boundaries, built on the TypeScript compiler API (already a
 * dependency) instead of a dependency-graph package: `ts.preProcessFile` lists every import, re-export and
 * dynamic `import()` of a file (type-only ones included), and `ts.resolveModuleName` with NodeNext resolution
 * resolves relative paths, `.js`→`.ts` and the package's `#core/*` / `#gen/*` subpath imports exactly as `tsc`
 * does. Starting from every file of a folder, it walks project files transitively and reports the first import
 * chain reaching anything a rule forbids.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join, relative, sep } from "node:path";
import ts from "typescript";

/** What files under one folder may reach. */
export interface BoundaryRule {
  /** Rule name, for reports. */
  readonly name: string;
  /** The folder whose files are checked (relative to the root, `/` separators). */
  readonly from: string;
  /** Project folders the files may reach, transitively (their own folder is always allowed). */
  readonly allowedProjectDirs: readonly string[];
  /** Packages no file in the closure may import (e.g. `postgres`). */
  readonly forbiddenPackages: readonly string[];
  /** Node built-in modules the files of `from` itself may not import (e.g. `fs`: no corpus reading). */
  readonly forbiddenBuiltinsInFrom?: readonly string[];
  /** Text the non-test files of `from` may not contain (e.g. the corpus path). */
  readonly forbiddenTextInFrom?: readonly string[];
}

/** One broken rule. */
export interface BoundaryViolation {
  /** The rule. */
  readonly rule: string;
  /** What was reached: a project path, `package:name`, `builtin:name` or `text:...`. */
  readonly target: string;
  /** The import chain from a file of the checked folder to the offending import. */
  readonly chain: readonly string[];
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};

const toPosix = (path: string) => path.split(sep).join("/");

function listTsFiles(root: string, dir: string): string[] {
  const files: string[] = [];
  // A project without the folder (the checker's throwaway fixtures) has nothing to check there.
  if (!existsSync(join(root, dir))) return files;
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(path);
    }
  };
  walk(join(root, dir));
  return files.sort();
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

type Target =
  | { readonly kind: "project"; readonly path: string }
  | { readonly kind: "package"; readonly name: string }
  | { readonly kind: "builtin"; readonly name: string }
  | { readonly kind: "unresolved"; readonly specifier: string };

/** The resolved imports of one file. */
function importsOf(root: string, file: string, cache: Map<string, Target[]>): Target[] {
  const cached = cache.get(file);
  if (cached) return cached;
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const targets = info.importedFiles.map(({ fileName: specifier }): Target => {
    if (isBuiltin(specifier)) return { kind: "builtin", name: specifier.replace(/^node:/, "") };
    const resolved = ts.resolveModuleName(specifier, file, COMPILER_OPTIONS, ts.sys).resolvedModule;
    if (resolved && !resolved.isExternalLibraryImport) {
      return { kind: "project", path: toPosix(relative(root, resolved.resolvedFileName)) };
    }
    if (resolved?.packageId?.name) return { kind: "package", name: resolved.packageId.name };
    if (!specifier.startsWith(".") && !specifier.startsWith("#") && !specifier.startsWith("/")) {
      return { kind: "package", name: packageName(specifier) };
    }
    return { kind: "unresolved", specifier };
  });
  cache.set(file, targets);
  return targets;
}

function isTestFile(path: string): boolean {
  return path.endsWith(".test.ts");
}

/** Checks `rules` on the project at `root`; returns every violation found (one per start file and target). */
export function findBoundaryViolations(root: string, rules: readonly BoundaryRule[]): BoundaryViolation[] {
  const cache = new Map<string, Target[]>();
  const violations: BoundaryViolation[] = [];
  for (const rule of rules) {
    const allowed = [rule.from, ...rule.allowedProjectDirs].map((dir) => `${dir.replace(/\/$/, "")}/`);
    const forbiddenPackages = new Set(rule.forbiddenPackages);
    const forbiddenBuiltins = new Set(rule.forbiddenBuiltinsInFrom ?? []);
    const inFrom = (path: string) => path.startsWith(`${rule.from.replace(/\/$/, "")}/`);
    const seen = new Set<string>();
    const report = (target: string, chain: readonly string[]) => {
      const key = `${target}\u0000${chain[0]}`;
      if (!seen.has(key)) {
        seen.add(key);
        violations.push({ rule: rule.name, target, chain });
      }
    };
    for (const start of listTsFiles(root, rule.from)) {
      const startPath = toPosix(relative(root, start));
      if (rule.forbiddenTextInFrom && !isTestFile(startPath)) {
        const text = readFileSync(start, "utf8");
        for (const needle of rule.forbiddenTextInFrom) if (text.includes(needle)) report(`text:${needle}`, [startPath]);
      }
      // Breadth-first, remembering how each file was reached, so a report shows the whole chain.
      const parent = new Map<string, string | undefined>([[startPath, undefined]]);
      const queue = [startPath];
      const chainTo = (path: string): string[] => {
        const chain: string[] = [];
        for (let at: string | undefined = path; at !== undefined; at = parent.get(at)) chain.unshift(at);
        return chain;
      };
      while (queue.length > 0) {
        const current = queue.shift()!;
        for (const target of importsOf(root, join(root, current), cache)) {
          if (target.kind === "builtin") {
            if (inFrom(current) && forbiddenBuiltins.has(target.name)) report(`builtin:${target.name}`, chainTo(current));
          } else if (target.kind === "package") {
            if (forbiddenPackages.has(target.name)) report(`package:${target.name}`, chainTo(current));
          } else if (target.kind === "unresolved") {
            report(`unresolved:${target.specifier}`, chainTo(current));
          } else if (!allowed.some((dir) => target.path.startsWith(dir))) {
            report(target.path, [...chainTo(current), target.path]);
          } else if (!parent.has(target.path)) {
            parent.set(target.path, current);
            queue.push(target.path);
          }
        }
      }
    }
  }
  return violations;
}

/** The boundaries of DESIGN.md §1 (the MCP server is held to the controller's). */
export const PECR_BOUNDARY_RULES: readonly BoundaryRule[] = [
  {
    name: "controller is non-privileged",
    from: "services/controller",
    allowedProjectDirs: ["services/core", "gen"],
    forbiddenPackages: ["postgres", "pg", "@electric-sql/pglite"],
    // The controller never reads files itself: no corpus, no policy bundle (core may read its config file).
    forbiddenBuiltinsInFrom: ["fs", "fs/promises"],
    forbiddenTextInFrom: ["fs_corpus/", "PECR_FS_CORPUS_PATH", "PECR_DB_URL", "PECR_OPA_URL", "PECR_POLICY_BUNDLE_DIR", "opa/bundle"],
  },
  {
    name: "mcp server is non-privileged",
    from: "services/mcp",
    allowedProjectDirs: ["services/core", "gen"],
    forbiddenPackages: ["postgres", "pg", "@electric-sql/pglite"],
    // Like the controller: it reaches data only through the gateway's RPCs and reads no files itself.
    forbiddenBuiltinsInFrom: ["fs", "fs/promises"],
    forbiddenTextInFrom: ["fs_corpus/", "PECR_FS_CORPUS_PATH", "PECR_DB_URL", "PECR_OPA_URL", "PECR_POLICY_BUNDLE_DIR", "opa/bundle"],
  },
  {
    name: "core imports neither service",
    from: "services/core",
    allowedProjectDirs: ["gen"],
    forbiddenPackages: [],
  },
];
