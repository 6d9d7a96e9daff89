/**
 * RunStream end to end over the real gateway and controller (each on its own port), on each ledger backend: for
 * a run that emits evidence ("What are the support hours?" as dev, extractive planner), the events come in order
 * (session started; each operator call with its outcome and bytes, each evidence event carrying ids only right
 * after the call that emitted it; finalize; the result) and match what the gateway's ledger recorded; the stream's
 * final response equals what Run returns for the same question (ids and timings aside); and the same stream
 * reaches gRPC-Web clients, over HTTP/1.1 and HTTP/2.
 */
import anyTest, { type ExecutionContext, type TestFn } from "ava";
import { type JsonObject, toJson } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { operatorParamsDigest } from "#core/canonical/identities.js";
import {
  ControllerService,
  type RunResponse,
  RunResponseSchema,
  type RunStreamResponse,
  RunStreamResponseSchema,
  StopReason,
} from "#gen/pecr/controller/v1/controller_pb.js";
import { ClaimStatus } from "#gen/pecr/v1/claim_pb.js";
import { EvidenceUnitRefSchema } from "#gen/pecr/v1/evidence_pb.js";
import { OperatorOutcome } from "#gen/pecr/v1/ledger_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { STACK_BUDGET_JSON, type Stack, startStack } from "../support/stack-harness.js";
import { forEachBackend } from "./support/backends.js";
import { allEvents, eventType } from "./support/ledger-audit.js";

const test = anyTest as TestFn;
const QUESTION = "What are the support hours?";
const ANSWER = "Support hours are 09:00 to 17:00 UTC, Monday to Friday.";
const DEV = { "x-pecr-principal-id": "dev" };

/** Every event of one RunStream, and the content type it came with. */
async function stream(client: Client<typeof ControllerService>, asOfTime?: { seconds: bigint; nanos: number }): Promise<{ events: RunStreamResponse[]; contentType: string }> {
  const events: RunStreamResponse[] = [];
  let contentType = "";
  for await (const event of client.runStream({ query: QUESTION, ...(asOfTime ? { asOfTime } : {}) }, { headers: DEV, onHeader: (headers) => (contentType = headers.get("content-type") ?? "") })) {
    events.push(event);
  }
  return { events, contentType };
}

/** The result event's response. */
function resultOf(events: readonly RunStreamResponse[]): RunResponse | undefined {
  const last = events.at(-1)?.event;
  return last?.case === "result" ? last.value : undefined;
}

/**
 * A response without what differs from run to run: session, trace, claim map and claim ids, the wallclock,
 * evidence ids (which bind the session's snapshot), replaced by the `source:object@version` they cite, and the
 * byte count (compared by `assertBytesAgree`).
 */
function comparable(response: RunResponse | undefined): JsonObject {
  if (response === undefined) return {};
  let text = JSON.stringify(toJson(RunResponseSchema, response));
  for (const ref of response.citedEvidence) text = text.replaceAll(ref.evidenceUnitId, `${ref.sourceSystem}:${ref.objectId}@${ref.versionId}`);
  const json = JSON.parse(text) as {
    sessionId?: string;
    traceId?: string;
    stats?: { wallclockMs?: string; bytesUsed?: string };
    claimMap?: { claimMapId?: string; claims?: { claimId?: string }[] };
  };
  delete json.sessionId;
  delete json.traceId;
  delete json.stats?.wallclockMs;
  delete json.stats?.bytesUsed;
  delete json.claimMap?.claimMapId;
  for (const claim of json.claimMap?.claims ?? []) delete claim.claimId;
  return json as JsonObject;
}

/**
 * Asserts that two runs of the same question were charged the same bytes, but for their evidence units'
 * retrieval times: the protobuf encoding of a timestamp's nanos takes 0 to 6 bytes, 8 with the framing around it.
 */
function assertBytesAgree(t: ExecutionContext, actual: RunResponse | undefined, expected: RunResponse | undefined, events: readonly RunStreamResponse[], label = "") {
  const units = events.reduce((sum, event) => sum + (event.event.case === "evidence" ? event.event.value.refs.length : 0), 0);
  const a = actual?.stats?.bytesUsed ?? -1n;
  const b = expected?.stats?.bytesUsed ?? -1n;
  const apart = a > b ? a - b : b - a;
  t.true(a > 0n && apart <= BigInt(8 * units), `${label} ${a} bytes against ${b}, with ${units} evidence units`);
}

/** The operator calls of a stream as comparable lines (order within a step is the gateway's, so sorted). */
function callLines(events: readonly RunStreamResponse[]): string[] {
  return events
    .flatMap((event) => (event.event.case === "operatorCall" ? [event.event.value] : []))
    .map((call) => `${call.step} ${call.params?.params.case} ${JSON.stringify(call.params?.params.value ?? {}, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value))} ${TerminalMode[call.outcome]} ${call.errorCode}`)
    .sort();
}

forEachBackend(test, "RunStream suite", ({ backend, prefix }) => {
  let stack: Stack | undefined;
  test.before(async () => {
    stack = await startStack({ backend });
  });
  test.after.always(async () => {
    await stack?.close();
  });

  test.serial(`${prefix}RunStream sends the session, each operator call with its outcome and bytes, evidence ids, finalize, then the result, as the gateway's ledger recorded them`, async (t) => {
    const s = stack!;
    const { events } = await stream(s.controller.client("dev"));
    const kinds = events.map((event) => event.event.case);
    t.is(kinds[0], "sessionStarted");
    t.deepEqual(kinds.slice(-2), ["finalize", "result"]);
    const middle = events.slice(1, -2);
    t.true(middle.length > 0 && middle.every((event) => event.event.case === "operatorCall" || event.event.case === "evidence"));

    const started = events[0]!.event.case === "sessionStarted" ? events[0]!.event.value : undefined;
    const result = resultOf(events);
    t.truthy(started && result);
    t.is(started?.sessionId, result?.sessionId);
    t.is(started?.traceId, result?.traceId);
    // The request named no budget: the session has the controller's default.
    const defaults = JSON.parse(STACK_BUDGET_JSON) as Record<string, number>;
    t.like(started?.budget, {
      maxOperatorCalls: defaults.max_operator_calls,
      maxBytes: BigInt(defaults.max_bytes!),
      maxWallclockMs: BigInt(defaults.max_wallclock_ms!),
      maxRecursionDepth: defaults.max_recursion_depth,
      maxParallelism: defaults.max_parallelism,
    });

    const records = await allEvents(s.gateway("auditor"), { sessionId: started!.sessionId });
    const types = records.map((record) => eventType(record.event));
    t.is(types.filter((type) => type === "SESSION_CREATED").length, 1);
    t.true(types.indexOf("SESSION_CREATED") < types.indexOf("OPERATOR_CALL"));
    t.is(types.at(-1), "FINALIZE_RESULT");
    const created = records.find((record) => record.event?.payload.case === "sessionCreated")?.event;
    t.is(created?.traceId, started?.traceId);
    t.deepEqual(created?.payload.case === "sessionCreated" ? created.payload.value.budget : undefined, started?.budget);

    // Operator calls: step 1 searches, step 2 fetches; each one is the gateway's OPERATOR_CALL with the same
    // parameters, and each fetch is followed at once by the evidence it emitted, as ids only.
    const ledgerCalls = new Map(
      records.flatMap((record) => (record.event?.payload.case === "operatorCall" ? [[record.event.payload.value.paramsHash, record.event.payload.value] as const] : [])),
    );
    const ledgerEvidence = records.flatMap((record) => (record.event?.payload.case === "evidenceEmitted" ? [record.event.payload.value.evidenceUnitId] : []));
    const streamedEvidence: string[] = [];
    let calls = 0;
    let lastStep = 1;
    for (const [index, event] of middle.entries()) {
      if (event.event.case === "operatorCall") {
        const call = event.event.value;
        calls++;
        t.true(call.step >= lastStep, "steps never go back");
        lastStep = call.step;
        t.is(call.params?.params.case, call.step === 1 ? "search" : "fetchSpan");
        t.is(call.outcome, TerminalMode.SUPPORTED);
        t.is(call.errorCode, "");
        const recorded = ledgerCalls.get(operatorParamsDigest(call.params!).hash);
        t.like(recorded, { outcome: OperatorOutcome.SUCCESS, opName: call.step === 1 ? "search" : "fetch_span" });
        // The streamed bytes are the gateway's response: its result and the session's counters.
        t.true(call.bytes > 0n && call.bytes >= (recorded?.resultBytes ?? 0n), `${call.bytes} bytes for a ${recorded?.resultBytes}-byte result`);
        const next = middle[index + 1]?.event;
        t.is(next?.case === "evidence" ? next.value.refs.length : 0, recorded?.evidenceCount ?? -1);
      } else if (event.event.case === "evidence") {
        const evidence = event.event.value;
        const previous = middle[index - 1]?.event;
        t.is(previous?.case, "operatorCall");
        t.is(previous?.case === "operatorCall" ? previous.value.step : 0, evidence.step);
        for (const ref of evidence.refs) {
          t.deepEqual(Object.keys(toJson(EvidenceUnitRefSchema, ref) as JsonObject).sort(), ["evidenceUnitId", "objectId", "sourceSystem", "versionId"]);
          t.regex(ref.evidenceUnitId, /^[0-9a-f]{64}$/);
          streamedEvidence.push(ref.evidenceUnitId);
        }
      }
    }
    t.is(calls, ledgerCalls.size);
    t.deepEqual([...streamedEvidence].sort(), [...ledgerEvidence].sort());
    t.true(streamedEvidence.length > 0);
    // Nothing before the result carries evidence content.
    t.false(JSON.stringify(events.slice(0, -1).map((event) => toJson(RunStreamResponseSchema, event))).includes(ANSWER.slice(0, 20)));

    const finalizeEvent = events.at(-2)?.event;
    const finalize = finalizeEvent?.case === "finalize" ? finalizeEvent.value : undefined;
    const finalized = records.at(-1)?.event?.payload;
    t.is(finalize?.terminalMode, TerminalMode.SUPPORTED);
    t.is(finalize?.coverageObserved, 1);
    t.is(finalized?.case === "finalizeResult" ? finalized.value.terminalMode : undefined, TerminalMode.SUPPORTED);
    t.is(finalized?.case === "finalizeResult" ? finalized.value.claimMapId : undefined, result?.claimMap?.claimMapId);

    t.is(result?.terminalMode, TerminalMode.SUPPORTED);
    t.is(result?.responseText, ANSWER);
    t.is(result?.stats?.stopReason, StopReason.PLAN_COMPLETE);
    t.is(result?.stats?.operatorCallsUsed, BigInt(calls));
    t.is(result?.stats?.depthUsed, lastStep);
    const supported = result?.claimMap?.claims.filter((claim) => claim.status === ClaimStatus.SUPPORTED) ?? [];
    t.true(supported.length > 0);
    for (const claim of supported) {
      t.true(claim.evidenceUnitIds.length > 0 && claim.evidenceUnitIds.every((id) => streamedEvidence.includes(id)), claim.claimText);
    }
  });

  test.serial(`${prefix}RunStream's final response equals what Run returns for the same question, ids and timings aside`, async (t) => {
    const client = stack!.controller.client("dev");
    // One point in time for both: they read the same versions.
    const asOfTime = { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 };
    const run = await client.run({ query: QUESTION, asOfTime });
    const { events } = await stream(client, asOfTime);
    t.is(run.terminalMode, TerminalMode.SUPPORTED);
    t.not(resultOf(events)?.sessionId, run.sessionId);
    t.deepEqual(comparable(resultOf(events)), comparable(run));
    assertBytesAgree(t, resultOf(events), run, events);
  });

  test.serial(`${prefix}RunStream over gRPC-Web, on HTTP/1.1 and HTTP/2, streams the same events and result as over Connect`, async (t) => {
    const s = stack!;
    const asOfTime = { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 };
    const reference = await stream(s.controller.client("dev"), asOfTime);
    const run = await s.controller.client("dev").run({ query: QUESTION, asOfTime });
    for (const httpVersion of ["1.1", "2"] as const) {
      const grpcWeb = createClient(ControllerService, createGrpcWebTransport({ baseUrl: s.controller.url, httpVersion }));
      const { events, contentType } = await stream(grpcWeb, asOfTime);
      t.regex(contentType, /^application\/grpc-web\+proto/, httpVersion);
      t.deepEqual(events.map((event) => event.event.case), reference.events.map((event) => event.event.case), httpVersion);
      t.deepEqual(callLines(events), callLines(reference.events), httpVersion);
      t.is(resultOf(events)?.terminalMode, TerminalMode.SUPPORTED, httpVersion);
      t.deepEqual(comparable(resultOf(events)), comparable(run), httpVersion);
      assertBytesAgree(t, resultOf(events), run, events, httpVersion);
    }
  });
});
