/**
 * In-memory stand-ins for the gateway's operator calls, for the controller's unit tests: results with the
 * gateway's usage accounting (calls + canonical parameter bytes + a fixed result size), scripted failures, and
 * a record of every call with its deadline and the peak number in flight.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { operatorParamsDigest } from "#core/canonical/identities.js";
import { pecrErrorToConnect } from "#core/errors/to-connect-error.js";
import type { PecrError } from "#core/errors/pecr-error.js";
import { BudgetUsageSchema } from "#gen/pecr/v1/budget_pb.js";
import {
  type EvidenceUnit,
  EvidenceUnitRefSchema,
  EvidenceUnitSchema,
} from "#gen/pecr/v1/evidence_pb.js";
import type { OperatorParams } from "#gen/pecr/v1/operator_pb.js";
import type { OperatorResult } from "../gateway/gateway-client.js";
import { operatorOf } from "../planners/operators.js";

/** A recorded call. */
export interface RecordedCall {
  /** The parameters. */
  readonly params: OperatorParams;
  /** The deadline it was given. */
  readonly timeoutMs: number;
}

/** What a scripted call answers: a result's parts, or an error to throw. */
export type FakeAnswer =
  | { readonly units?: readonly EvidenceUnit[]; readonly refs?: readonly string[]; readonly resultBytes?: number }
  | { readonly error: unknown };

/** Options of the fake. */
export interface FakeOperatorCallsOptions {
  /** Answer per call (default: an empty success); called with the call's parameters and its 0-based index. */
  readonly answer?: (params: OperatorParams, index: number) => FakeAnswer | Promise<FakeAnswer>;
  /** Bytes charged for each result (default 100). */
  readonly resultBytes?: number;
  /** Awaited inside each call before it answers (lets calls overlap). */
  readonly during?: () => Promise<void>;
}

/** The fake and what it saw. */
export interface FakeOperatorCalls {
  /** The function to give the loop. */
  readonly call: (params: OperatorParams, timeoutMs: number) => Promise<OperatorResult>;
  /** Every call, in start order. */
  readonly calls: RecordedCall[];
  /** Most calls in flight at once. */
  peakInFlight(): number;
}

/** A 64-hex evidence id derived from a label. */
export function fakeEvidenceId(label: string): string {
  return Buffer.from(label.padEnd(32, ".")).toString("hex").slice(0, 64);
}

/** A text evidence unit as FetchSpan returns it. */
export function textUnit(objectId: string, text: string): EvidenceUnit {
  return create(EvidenceUnitSchema, {
    evidenceUnitId: fakeEvidenceId(`span:${objectId}`),
    sourceSystem: "fs_corpus",
    objectId,
    versionId: fakeEvidenceId(`version:${objectId}`),
    content: { case: "text", value: text },
  });
}

/** A row evidence unit as FetchRows returns it. */
export function rowUnit(key: string, row: Record<string, string>): EvidenceUnit {
  return create(EvidenceUnitSchema, {
    evidenceUnitId: fakeEvidenceId(`row:${key}`),
    sourceSystem: "pg_safeview",
    objectId: `safe_customer_view_public:local:${key}`,
    versionId: fakeEvidenceId(`rowversion:${key}`),
    content: { case: "json", value: row },
  });
}

/** A gateway error as the client sees it. */
export function gatewayError(error: PecrError): ConnectError {
  return pecrErrorToConnect(error);
}

/** A failure without an ErrorDetail (connection refused, reset). */
export function transportError(): ConnectError {
  return new ConnectError("connection refused", Code.Unavailable);
}

/** Creates the fake. */
export function createFakeOperatorCalls(options: FakeOperatorCallsOptions = {}): FakeOperatorCalls {
  const calls: RecordedCall[] = [];
  let inFlight = 0;
  let peak = 0;
  let usedCalls = 0n;
  let usedBytes = 0n;
  return {
    calls,
    peakInFlight: () => peak,
    async call(params, timeoutMs) {
      const index = calls.length;
      calls.push({ params, timeoutMs });
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        await options.during?.();
        const answer = (await options.answer?.(params, index)) ?? {};
        usedCalls++;
        usedBytes += BigInt(operatorParamsDigest(params).bytes);
        if ("error" in answer) throw answer.error;
        usedBytes += BigInt(answer.resultBytes ?? options.resultBytes ?? 100);
        const usage = create(BudgetUsageSchema, { operatorCallsUsed: usedCalls, bytesUsed: usedBytes });
        const spec = operatorOf(params);
        return {
          operator: spec!.name,
          evidenceUnits: answer.units ?? [],
          refs: (answer.refs ?? []).map((objectId) =>
            create(EvidenceUnitRefSchema, { evidenceUnitId: fakeEvidenceId(`doc:${objectId}`), sourceSystem: "fs_corpus", objectId }),
          ),
          versions: [],
          usage,
          responseBytes: () => 42,
        };
      } finally {
        inFlight--;
      }
    },
  };
}
