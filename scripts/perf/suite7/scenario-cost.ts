/**
 * What a load scenario cost the stack: the ledger events it appended (read back through ListEvents from the
 * previous head) and the CPU time each service process used, both per request issued (warm-up included, since
 * the warm-up's requests run under the same load).
 */
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { createClientPool } from "./load-clients.js";
import { headAfter } from "./ledger-audit.js";
import type { PerfStack } from "./perf-stack.js";
import type { ScenarioResult } from "./scenario-result.js";

/** Ledger events and service CPU attributed to one load scenario. */
export interface ScenarioCost {
  readonly scenario: string;
  /** Events appended during the scenario. */
  readonly ledgerEvents: number;
  /** Events per request issued. */
  readonly eventsPerRequest: number;
  /** CPU milliseconds per request issued, by service. */
  readonly cpuMsPerRequest: Record<string, number>;
}

/** The ledger head the next scenario's events are counted from. */
export interface LedgerCursor {
  seq: bigint;
}

async function cpuByService(stack: PerfStack): Promise<Map<string, number | undefined>> {
  return new Map(await Promise.all(stack.services().map(async (service) => [service.name, await service.process.cpuSeconds()] as const)));
}

/** Runs `load`, records its cost in `costs` and adds a line about it to the result's notes. */
export async function withCost(stack: PerfStack, cursor: LedgerCursor, costs: ScenarioCost[], load: () => Promise<ScenarioResult>): Promise<ScenarioResult> {
  const auditor = createClientPool(GatewayService, stack.gatewayUrl, 1, "auditor").forUser(0);
  cursor.seq = (await headAfter(auditor, cursor.seq)).headSeq;
  const before = await cpuByService(stack);
  const result = await load();
  const after = await cpuByService(stack);
  const appended = await headAfter(auditor, cursor.seq);
  cursor.seq = appended.headSeq;
  const cpuMsPerRequest: Record<string, number> = {};
  for (const [name, end] of after) {
    const start = before.get(name);
    if (start !== undefined && end !== undefined && result.issued > 0) cpuMsPerRequest[name] = ((end - start) * 1000) / result.issued;
  }
  const eventsPerRequest = result.issued > 0 ? appended.events / result.issued : 0;
  costs.push({ scenario: result.name, ledgerEvents: appended.events, eventsPerRequest, cpuMsPerRequest });
  const cpu = Object.entries(cpuMsPerRequest)
    .filter(([, value]) => value >= 0.005)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(", ");
  result.notes.push(`${eventsPerRequest.toFixed(1)} ledger events/request; CPU ms/request ${cpu}`);
  return result;
}

/**
 * Runs `load` `repeats` times (each with its cost recorded) and keeps the run of median throughput, noting the
 * others; the costs of the discarded runs are dropped.
 */
export async function medianOf(repeats: number, costs: ScenarioCost[], load: () => Promise<ScenarioResult>): Promise<ScenarioResult> {
  if (repeats <= 1) return load();
  const runs: { result: ScenarioResult; cost: ScenarioCost | undefined }[] = [];
  for (let index = 0; index < repeats; index++) {
    const result = await load();
    runs.push({ result, cost: costs.at(-1)?.scenario === result.name ? costs.pop() : undefined });
  }
  const sorted = [...runs].sort((a, b) => a.result.throughput - b.result.throughput);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (median.cost !== undefined) costs.push(median.cost);
  median.result.notes.push(`median of ${repeats} runs (req/s ${runs.map((run) => run.result.throughput.toFixed(1)).join(", ")})`);
  return median.result;
}
