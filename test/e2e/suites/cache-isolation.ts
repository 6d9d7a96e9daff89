/**
 * Cache isolation (reference §8.1 suite 8, inverted by DESIGN.md §7): with the search and decision caches on
 * (PECR_CACHE_MAX_ENTRIES, PECR_CACHE_TTL_MS), repeated searches are served from the cache — the cache-hit metric
 * moves — yet no evidence id, cache entry or search ref ever crosses principals: support never sees the
 * restricted refs dev's identical query cached, and every id is bound to its principal's policy snapshot.
 */
import type { Client } from "@connectrpc/connect";
import type { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { openTestSession } from "../../support/gateway-sessions.js";
import { CANARY_RESTRICTED_ALPHA, found } from "../support/canaries.js";
import type { CoreSuite } from "../support/core-stack.js";

const QUERY = { query: "fixture document", limit: 50 };
const AS_OF = "2026-04-01T00:00:00Z";

/** The search cache's hit counter, from /metrics text. */
export function searchCacheHits(metrics: string): number {
  const match = /^pecr_gateway_operator_cache_hits_total\{operator_name="search"\} (\d+)$/m.exec(metrics);
  return match ? Number(match[1]) : 0;
}

async function searchTwice(client: Client<typeof GatewayService>): Promise<Map<string, string>[]> {
  const maps: Map<string, string>[] = [];
  for (let i = 0; i < 2; i++) {
    // A new session each time at the same as_of: the second search may be served from the cache.
    const session = await openTestSession(client, { asOf: AS_OF });
    const refs = (await client.search({ sessionId: session.sessionId, params: QUERY }, session.options)).refs;
    maps.push(new Map(refs.map((ref) => [ref.objectId, ref.evidenceUnitId])));
  }
  return maps;
}

/** Registers the cache isolation suite. */
export const registerCacheIsolationSuite: CoreSuite = (test, { prefix }, core) => {
  test.serial(`${prefix}cache isolation: repeated searches hit the cache, but no ref or evidence id crosses principals`, async (t) => {
    const { stack } = core();
    const before = searchCacheHits(await stack.metrics("gateway"));
    const dev = await searchTwice(stack.gateway("dev"));
    const support = await searchTwice(stack.gateway("support"));
    const analyst = await searchTwice(stack.gateway("analyst"));
    const after = searchCacheHits(await stack.metrics("gateway"));
    t.true(after - before >= 3, `cache hits moved by ${after - before}`);

    for (const [name, [first, second]] of Object.entries({ dev, support, analyst })) {
      t.true(first!.size > 0, `${name} found nothing`);
      t.deepEqual([...first!], [...second!], `${name}'s repeated search differs`);
    }
    t.true(dev[0]!.has("restricted/restricted_1.txt"));
    t.true(analyst[0]!.has("restricted/restricted_1.txt"));
    t.false([...support[0]!.keys()].some((objectId) => objectId.startsWith("restricted/")), "support saw a restricted ref dev's search cached");
    const byPrincipal = [dev[0]!, support[0]!, analyst[0]!];
    for (const [i, a] of byPrincipal.entries()) {
      for (const b of byPrincipal.slice(i + 1)) {
        for (const [objectId, id] of a) if (b.has(objectId)) t.not(b.get(objectId), id, `evidence id of ${objectId} shared across principals`);
      }
    }
    t.deepEqual(found(stack.gatewayLogs.join("\n"), [CANARY_RESTRICTED_ALPHA]), []);
  });

  test(`${prefix}cache isolation: a guest is denied search even when the same query is cached`, async (t) => {
    const { stack } = core();
    await searchTwice(stack.gateway("dev"));
    const guest = stack.gateway("guest");
    const session = await openTestSession(guest, { asOf: AS_OF });
    await t.throwsAsync(guest.search({ sessionId: session.sessionId, params: QUERY }, session.options), { message: /policy denied/ });
  });

  test.serial(`${prefix}cache isolation: runs by two principals with the same question share no evidence`, async (t) => {
    const { stack } = core();
    const query = "What are the support hours?";
    const [dev, support] = [await stack.controller.client("dev").run({ query }), await stack.controller.client("support").run({ query })];
    const devIds = new Set(dev.citedEvidence.map((ref) => ref.evidenceUnitId));
    t.true(devIds.size > 0);
    t.true(support.citedEvidence.length > 0);
    t.false(support.citedEvidence.some((ref) => devIds.has(ref.evidenceUnitId)));
  });
};
