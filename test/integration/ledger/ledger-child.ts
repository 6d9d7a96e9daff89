/**
 * A separate process appending to a ledger, for the multi-process and crash tests. Opens the ledger from the
 * environment (PECR_DB_URL / PECR_DB_SCHEMA / PECR_DB_APP_ROLE, or PECR_DATA_DIR for PGlite) and runs:
 *
 * - `append <scope> <units> <eventsPerUnit> <inFlight>`: commits the units, `inFlight` at a time; prints
 *   `done <units>` and exits 0.
 * - `hang <scope> <unitsBefore>`: commits `unitsBefore` units one by one and prints `committed <head seq>`, then
 *   submits 50 more units whose batch stops inside its transaction (rows written, not committed) after printing
 *   `in-batch <first seq>-<last seq>`, and waits there to be killed.
 */
import { readLedgerConfig } from "../../../services/gateway/ledger/ledger-config.js";
import type { SealedEvent } from "../../../services/gateway/ledger/ledger-types.js";
import { openLedger } from "../../../services/gateway/ledger/open-ledger.js";
import { createFixtureIds, policyDecision, type SessionIds, sessionUnit } from "./ledger-fixtures.js";

const [mode, scope = "child", ...rest] = process.argv.slice(2);
let hangNextBatch = false;
const ledger = await openLedger(readLedgerConfig(process.env), {
  migrateFirst: false,
  async beforeCommit(events: readonly SealedEvent[]) {
    if (!hangNextBatch) return;
    process.stdout.write(`in-batch ${events[0]?.seq}-${events[events.length - 1]?.seq}\n`);
    // Never resolves: the parent kills this process while the transaction is open.
    await new Promise(() => undefined);
  },
});
const ids = createFixtureIds(`${scope}-${process.pid}`);
const { unit, session } = sessionUnit(ids);
await ledger.commit(unit);

function eventsUnit(s: SessionIds, count: number) {
  return { events: Array.from({ length: count }, () => policyDecision(ids, s)) };
}

if (mode === "append") {
  const [units = "100", perUnit = "5", inFlight = "10"] = rest;
  let next = 0;
  const worker = async () => {
    while (next < Number(units)) {
      next++;
      await ledger.commit(eventsUnit(session, Number(perUnit)));
    }
  };
  await Promise.all(Array.from({ length: Number(inFlight) }, worker));
  await ledger.close();
  process.stdout.write(`done ${units}\n`);
} else if (mode === "hang") {
  const [before = "10"] = rest;
  let last = 0n;
  for (let i = 0; i < Number(before); i++) {
    const result = await ledger.commit(eventsUnit(session, 3));
    last = result.events[result.events.length - 1]?.seq ?? last;
  }
  process.stdout.write(`committed ${last}\n`);
  hangNextBatch = true;
  await Promise.all(Array.from({ length: 50 }, () => ledger.commit(eventsUnit(session, 3))));
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exitCode = 2;
}
