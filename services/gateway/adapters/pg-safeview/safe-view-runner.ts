/**
 * Runs safe-view statements: each in its own transaction that first sets, transaction-locally, the statement
 * timeout and the caller's tenant (`pecr.tenant_id`, which the views filter on), so neither can leak into another
 * request on a pooled connection. Any database failure becomes ERR_SOURCE_UNAVAILABLE (retryable).
 */
import { errors, PecrError } from "#core/errors/pecr-error.js";
import { withDeadline } from "../../runtime/deadline.js";
import type { LedgerDatabase, SqlTransaction } from "../../ledger/database.js";
import type { BoundStatement } from "./safe-view-sql.js";
import type { SafeViewSpec } from "./view-specs.js";

/** A safe-view row: every column rendered as text (or null). */
export type SafeViewRow = Record<string, string | null>;

/** Runs safe-view statements. */
export interface SafeViewRunner {
  /** Runs `statement` for `tenantId` under a statement timeout. */
  query(statement: BoundStatement, tenantId: string, timeoutMs: number): Promise<SafeViewRow[]>;
  /** Checks that every allowlisted view exists with its columns (startup; throws a descriptive Error). */
  checkSchema(specs: readonly SafeViewSpec[]): Promise<void>;
}

/**
 * Turns a `$n`-numbered statement into a tagged-template call, so it runs through the same executor as every
 * other query (values stay bound parameters). Placeholders must appear once each, in order — which the
 * statement builders in safe-view-sql.ts guarantee.
 */
export function asTemplate(statement: BoundStatement): [TemplateStringsArray, string[]] {
  const parts = statement.text.split(/\$\d+/);
  if (parts.length !== statement.params.length + 1) throw new Error("statement placeholders do not match its parameters");
  return [Object.assign([...parts], { raw: [...parts] }) as unknown as TemplateStringsArray, [...statement.params]];
}

/**
 * Creates a runner over a database connection. `boundMs` bounds each query end to end (connecting included): the
 * statement timeout only starts once a connection runs the statement.
 */
export function createSafeViewRunner(db: LedgerDatabase, boundMs: number): SafeViewRunner {
  return {
    async query(statement, tenantId, timeoutMs) {
      const [strings, values] = asTemplate(statement);
      try {
        const query = db.begin(async (tx: SqlTransaction) => {
          // Both settings in one statement, and the view query sent behind it without waiting for its answer: a
          // connection runs its statements in the order sent, so the query still starts with both in force, and
          // the transaction costs one round trip less per setting. Should the settings fail, the transaction is
          // aborted and the query fails with it; Promise.all reports the first failure and observes both.
          const [, rows] = await Promise.all([
            tx`SELECT set_config('statement_timeout', ${`${Math.max(1, Math.trunc(timeoutMs))}ms`}, true), set_config('pecr.tenant_id', ${tenantId}, true)`,
            tx<SafeViewRow>(strings, ...values),
          ]);
          return rows;
        });
        return await withDeadline(query, boundMs, () => errors.sourceUnavailable("database unavailable"));
      } catch (cause) {
        if (cause instanceof PecrError) throw cause;
        throw errors.sourceUnavailable("database query failed", { cause });
      }
    },

    async checkSchema(specs) {
      for (const spec of specs) {
        const rows = await db.sql<{ column_name: string }>`
          SELECT column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = ${spec.viewId}`;
        if (rows.length === 0) throw new Error(`safe-view schema mismatch: required view ${spec.viewId} does not exist`);
        const present = new Set(rows.map((row) => row.column_name));
        const missing = spec.selectableFields.filter((field) => !present.has(field));
        if (missing.length > 0) throw new Error(`safe-view schema mismatch: view ${spec.viewId} is missing columns [${missing.join(", ")}]`);
      }
    },
  };
}
