/**
 * Worker thread of a parallel verification: verifies one range of the chain over its own connection and posts
 * the `RangeResult` back (see `verifyLedger`).
 */
import { parentPort, workerData } from "node:worker_threads";
import { createPostgresDatabase } from "./postgres-database.js";
import { type RangeRequest, verifyChainRange } from "./verify-ledger.js";

const { request } = workerData as { request: RangeRequest };
const db = createPostgresDatabase(request.connection);
try {
  parentPort?.postMessage(await verifyChainRange(db.sql, request.chainId, request.from, request.to, request.pageSize));
} finally {
  await db.close();
}
