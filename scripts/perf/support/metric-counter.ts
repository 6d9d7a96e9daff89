/**
 * Reads one counter from a service's Prometheus text endpoint (`/metrics`), summed over the series whose labels
 * include all of `labels`: how a benchmark checks on the server side what its load generator cannot see.
 */

/**
 * `name`'s series in Prometheus exposition `text` whose labels include all of `labels`, summed per value of the
 * label `by` (one entry, keyed "", without it).
 */
export function counterValues(text: string, name: string, labels: Readonly<Record<string, string>> = {}, by?: string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const present = new Map([...(match[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (!Object.entries(labels).every(([label, value]) => present.get(label) === value)) continue;
    const key = by === undefined ? "" : (present.get(by) ?? "");
    totals.set(key, (totals.get(key) ?? 0) + Number(match[2]));
  }
  return totals;
}

/** The sum of `name`'s series matching `labels` in Prometheus exposition `text`. */
export function counterValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return counterValues(text, name, labels).get("") ?? 0;
}

/** Fetches `baseUrl`/metrics and reads `name` like `counterValues`. */
export async function scrapeCounters(baseUrl: string, name: string, labels: Readonly<Record<string, string>> = {}, by?: string): Promise<Map<string, number>> {
  const response = await fetch(new URL("/metrics", baseUrl));
  if (!response.ok) throw new Error(`${baseUrl}/metrics answered ${response.status}`);
  return counterValues(await response.text(), name, labels, by);
}
