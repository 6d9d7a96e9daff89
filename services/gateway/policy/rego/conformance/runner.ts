/**
 * Runs OPA's YAML conformance cases (format: ../shared/opa-conformance/README.md) through the evaluator and
 * tallies passed / failed / skipped per folder. A skip is a case whose modules use a builtin or construct
 * this evaluator rejects at load time; the construct's name is kept for the report.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { createBuiltinRegistry } from "../builtins/registry.js";
import type { BuiltinRegistry } from "../builtins/types.js";
import { loadPolicy, prepareQuery, evaluateQuery } from "../engine.js";
import { RegoError, RegoUnsupportedError } from "../errors.js";
import { parseTerm } from "../parser.js";
import { compileQuery } from "../compile.js";
import { fromJson, toJson } from "../value-json.js";
import { compareValues, RObject, RSet, valuesEqual, type Value } from "../value.js";

/** One conformance case as stored in the YAML files. */
interface CaseSpec {
  readonly note: string;
  readonly query: string;
  readonly modules?: string[];
  readonly data?: unknown;
  readonly input?: unknown;
  readonly input_term?: string;
  readonly want_result?: Record<string, unknown>[];
  readonly want_error?: string;
  readonly want_error_code?: string;
  readonly sort_bindings?: boolean;
  readonly strict_error?: boolean;
}

/** Outcome of one case. */
export interface CaseResult {
  readonly folder: string;
  readonly note: string;
  readonly status: "passed" | "failed" | "skipped";
  /** Why it failed, or the unsupported construct for a skip. */
  readonly detail?: string;
}

/** Counts for one folder. */
export interface FolderTally {
  passed: number;
  failed: number;
  skipped: number;
}

/** The result of a conformance run. */
export interface ConformanceReport {
  /** Per folder, sorted by folder name. */
  readonly folders: ReadonlyMap<string, FolderTally>;
  /** Every case. */
  readonly cases: readonly CaseResult[];
  /** Totals. */
  readonly totals: FolderTally;
}

/** Options of a run. */
export interface ConformanceOptions {
  /** Only run cases whose folder matches. */
  readonly folderFilter?: (folder: string) => boolean;
  /** Builtins to use (defaults to the full registry). */
  readonly builtins?: BuiltinRegistry;
}

/** Runs every YAML case under `dir`. */
export async function runConformance(dir: string, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const builtins = options.builtins ?? createBuiltinRegistry();
  const files = (await listYaml(dir)).sort();
  const cases: CaseResult[] = [];
  for (const file of files) {
    const folder = relative(dir, file).split(sep)[0] ?? "";
    if (options.folderFilter !== undefined && !options.folderFilter(folder)) continue;
    const doc = parseYaml(await readFile(file, "utf8")) as { cases?: CaseSpec[] } | null;
    for (const spec of doc?.cases ?? []) cases.push({ folder, note: spec.note, ...runCase(spec, builtins) });
  }
  const folders = new Map<string, FolderTally>();
  const totals: FolderTally = { passed: 0, failed: 0, skipped: 0 };
  for (const c of cases) {
    let t = folders.get(c.folder);
    if (t === undefined) folders.set(c.folder, (t = { passed: 0, failed: 0, skipped: 0 }));
    t[c.status]++;
    totals[c.status]++;
  }
  return { folders: new Map([...folders].sort(([a], [b]) => (a < b ? -1 : 1))), cases, totals };
}

/** Formats the per-folder table and the final `N passed, N failed, N skipped` line. */
export function formatReport(report: ConformanceReport): string {
  const lines = [`${"folder".padEnd(40)} ${"passed".padStart(6)} ${"failed".padStart(6)} ${"skipped".padStart(7)}`];
  for (const [folder, t] of report.folders) {
    lines.push(`${folder.padEnd(40)} ${String(t.passed).padStart(6)} ${String(t.failed).padStart(6)} ${String(t.skipped).padStart(7)}`);
  }
  const { passed, failed, skipped } = report.totals;
  lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return lines.join("\n");
}

async function listYaml(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listYaml(p)));
    else if (entry.name.endsWith(".yaml") || entry.name.endsWith(".yml")) out.push(p);
  }
  return out;
}

function runCase(spec: CaseSpec, builtins: BuiltinRegistry): Omit<CaseResult, "folder" | "note"> {
  let policy;
  try {
    policy = loadPolicy(
      (spec.modules ?? []).map((text, i) => ({ path: `test-${i}.rego`, text })),
      builtins,
    );
  } catch (err) {
    if (err instanceof RegoUnsupportedError) return { status: "skipped", detail: err.construct };
    return { status: "failed", detail: `load: ${(err as Error).message}` };
  }
  const wantsError = spec.want_error !== undefined || spec.want_error_code !== undefined;
  let results: ReadonlyMap<string, Value>[];
  try {
    const query = prepareQuery(policy, spec.query);
    let input: Value | undefined = spec.input === undefined ? undefined : fromJson(spec.input);
    if (spec.input_term !== undefined) {
      input = evaluateInputTerm(policy, spec.input_term);
    }
    results = evaluateQuery(policy, query, {
      input,
      data: spec.data === undefined || spec.data === null ? new RObject() : fromJson(spec.data),
      strict: spec.strict_error === true,
    });
  } catch (err) {
    if (err instanceof RegoUnsupportedError) return { status: "skipped", detail: err.construct };
    if (!wantsError) return { status: "failed", detail: `error: ${(err as Error).message}` };
    const message = (err as Error).message;
    const code = err instanceof RegoError ? err.code : "internal";
    if (spec.want_error_code !== undefined && code !== spec.want_error_code) {
      return { status: "failed", detail: `want code ${spec.want_error_code}, got ${message}` };
    }
    if (spec.want_error !== undefined && !message.includes(spec.want_error)) {
      return { status: "failed", detail: `want error ${JSON.stringify(spec.want_error)}, got ${JSON.stringify(message)}` };
    }
    return { status: "passed" };
  }
  if (wantsError) return { status: "failed", detail: `want error ${spec.want_error_code ?? ""} ${spec.want_error ?? ""}, got results` };
  if (spec.want_result === undefined) return { status: "failed", detail: "case has no expectation" };
  const got = RSet.from(
    results.map((b) => {
      const o = new RObject();
      for (const [k, v] of b) {
        let j = fromJson(toJson(v));
        if (spec.sort_bindings === true && Array.isArray(j)) j = [...j].sort(compareValues);
        o.set(k, j);
      }
      return o;
    }),
  );
  const want = RSet.from(spec.want_result.map((b) => fromJson(b ?? {})));
  if (valuesEqual(got, want)) return { status: "passed" };
  return {
    status: "failed",
    detail: `want ${JSON.stringify(toJson(want))}, got ${JSON.stringify(toJson(got))}`,
  };
}

function evaluateInputTerm(policy: Parameters<typeof evaluateQuery>[0], src: string): Value | undefined {
  const q = compileQuery(policy, [
    {
      kind: "unify",
      lhs: { type: "var", name: "x", loc: { file: "input", line: 1, col: 1 } },
      rhs: parseTerm(src, "input"),
      negated: false,
      with: [],
      loc: { file: "input", line: 1, col: 1 },
    },
  ]);
  const r = evaluateQuery(policy, q);
  return r[0]?.get("x");
}
