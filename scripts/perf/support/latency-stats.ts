/**
 * Latency summaries for benchmarks: percentiles over recorded samples (nearest rank) and table printing.
 */

/** A summary of one scenario. */
export interface LatencySummary {
  /** Scenario name. */
  readonly name: string;
  /** Completed requests (successes and errors). */
  readonly requests: number;
  /** Failed requests. */
  readonly errors: number;
  /** Requests per second over the measured window. */
  readonly throughput: number;
  /** Median latency, ms. */
  readonly p50: number;
  /** 90th percentile, ms. */
  readonly p90: number;
  /** 99th percentile, ms. */
  readonly p99: number;
  /** Maximum, ms. */
  readonly max: number;
}

/** The nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Summarises latency samples (ms) measured over `elapsedMs`. */
export function summarise(name: string, samples: readonly number[], errors: number, elapsedMs: number): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    requests: samples.length,
    errors,
    throughput: samples.length / (elapsedMs / 1000),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

/** Prints summaries as an aligned table. */
export function printTable(rows: readonly LatencySummary[]): void {
  const header = ["scenario", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"];
  const lines = rows.map((row) => [
    row.name,
    String(row.requests),
    String(row.errors),
    row.throughput.toFixed(0),
    row.p50.toFixed(2),
    row.p90.toFixed(2),
    row.p99.toFixed(2),
    row.max.toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}
