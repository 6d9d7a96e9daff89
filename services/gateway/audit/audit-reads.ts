/**
 * The read-only audit operations (GetEvidence, ListEvents, VerifyLedger). Each is decided by the policy as the
 * `audit` action (auditors and dev in the bundled policy) and the decision is itself recorded in the ledger, so
 * reading the audit trail leaves a trace.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { EvidenceUnit } from "#gen/pecr/v1/evidence_pb.js";
import { LedgerEventSchema, type LedgerVerification } from "#gen/pecr/v1/ledger_pb.js";
import { PolicyAction } from "#gen/pecr/v1/policy_pb.js";
import { LedgerEventRecordSchema, type LedgerEventRecord } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { canonicalBytes } from "#core/canonical/canonical-encoding.js";
import { isSha256Hex } from "#core/canonical/domain-hash.js";
import { errors, PecrError } from "#core/errors/pecr-error.js";
import { parseUlid } from "#core/observability/request-ids.js";
import type { StoredEvent } from "../ledger/ledger-types.js";
import { buildPolicyInput } from "../policy/policy-input.js";
import type { GatewayDeps } from "../runtime/gateway-deps.js";
import { type CallIdentity, createEventStamper } from "../operators/call-context.js";
import { policyDecisionPayload } from "../operators/event-payloads.js";

/** Decides (and records) an audit read; throws ERR_POLICY_DENIED when refused. */
export async function authorizeAudit(deps: GatewayDeps, call: CallIdentity, opName: string): Promise<void> {
  const now = deps.clock.now();
  const input = buildPolicyInput(
    "audit",
    call.principal,
    { sessionId: null, traceId: null, policySnapshotId: null, policySnapshotHash: "", policyBundleHash: deps.policy.bundleHash, asOfTime: timestampFromMs(Math.floor(now.getTime() / 1000) * 1000) },
    call.requestId,
    { target: { opName, paramsHash: "", paramsBytes: 0 } },
  );
  let decision;
  try {
    decision = await deps.policy.decide(input, { signal: call.signal });
  } catch (cause) {
    deps.metrics.policyDecision("audit", "error");
    throw cause instanceof PecrError ? cause : errors.sourceUnavailable("policy engine unavailable", { cause });
  }
  deps.metrics.policyDecision("audit", decision.allow ? "allow" : "deny");
  const stamper = createEventStamper(deps, call, { traceId: call.traceId, sessionId: "", policySnapshotId: "" });
  await deps.ledger.commit({
    events: [stamper.event(policyDecisionPayload(PolicyAction.AUDIT, opName, decision.allow, decision.reason || (decision.allow ? "policy_allow" : "policy_deny")))],
  });
  if (!decision.allow) throw errors.policyDenied();
}

/** Stored evidence units by id (content only in payload-enabled mode), with their first session. */
export async function getEvidence(deps: GatewayDeps, call: CallIdentity, ids: readonly string[]): Promise<{ units: EvidenceUnit[]; sessionIds: string[] }> {
  await authorizeAudit(deps, call, "get_evidence");
  // Only SHA-256 ids can name evidence; others are skipped like unknown ids, without a database round trip.
  const stored = await deps.ledger.evidenceByIds(ids.filter(isSha256Hex));
  const byId = new Map(stored.map((entry) => [entry.unit.evidenceUnitId, entry]));
  const found = ids.flatMap((id) => {
    const entry = byId.get(id);
    return entry === undefined ? [] : [entry];
  });
  return { units: found.map((entry) => entry.unit), sessionIds: found.map((entry) => entry.sessionId) };
}

/** The largest sequence number the ledger can hold (Postgres bigint). */
const MAX_SEQ = 2n ** 63n - 1n;

/** Filters and page of ListEvents. */
export interface EventQuery {
  /** Only events after this seq. */
  readonly afterSeq: bigint;
  /** Page size (default 100, at most 1000). */
  readonly pageSize: number;
  /** Only this session's events. */
  readonly sessionId: string;
  /** Only this trace's events. */
  readonly traceId: string;
}

function toRecord(stored: StoredEvent): LedgerEventRecord {
  return create(LedgerEventRecordSchema, {
    event: stored.event,
    eventHash: stored.eventHash,
    canonicalBytes: canonicalBytes(LedgerEventSchema, stored.event),
  });
}

/** One page of the chain. */
export async function listEvents(deps: GatewayDeps, call: CallIdentity, query: EventQuery): Promise<{ records: LedgerEventRecord[]; nextAfterSeq: bigint }> {
  await authorizeAudit(deps, call, "list_events");
  if (query.afterSeq > MAX_SEQ) throw errors.invalidParams("after_seq is out of range");
  const filtered = (query.sessionId !== "" && parseUlid(query.sessionId) !== query.sessionId) || (query.traceId !== "" && parseUlid(query.traceId) !== query.traceId);
  if (filtered) return { records: [], nextAfterSeq: 0n };
  const page = { afterSeq: query.afterSeq, limit: query.pageSize === 0 ? 100 : query.pageSize };
  const events =
    query.sessionId !== ""
      ? await deps.ledger.eventsBySession(query.sessionId, page)
      : query.traceId !== ""
        ? await deps.ledger.eventsByTrace(query.traceId, page)
        : await deps.ledger.eventsAfter(page);
  const matching = query.sessionId !== "" && query.traceId !== "" ? events.filter((event) => event.event.traceId === query.traceId) : events;
  const last = events.at(-1);
  return { records: matching.map(toRecord), nextAfterSeq: events.length === page.limit && last !== undefined ? last.seq : 0n };
}

/** Verifies the whole ledger. */
export async function verifyLedger(deps: GatewayDeps, call: CallIdentity): Promise<LedgerVerification> {
  await authorizeAudit(deps, call, "verify_ledger");
  return deps.ledger.verify();
}
