/**
 * Bad input (fast-check properties and exhaustive passes over every string field), sent raw over the Connect
 * protocol to every RPC of both services: random messages with path-traversal and SQL-looking strings, wrong JSON
 * types, truncated and random binary, unknown fields, invalid UTF-8, huge repeated fields and payloads past the
 * read limit. Every answer must be a clear code (a client error, or success) — never Internal, Unknown or a 5xx,
 * never internals in the message — and afterwards both servers still answer and the ledger verifies. The number of
 * inputs tried is logged (t.log) per test and in total.
 */
import anyTest, { type TestFn } from "ava";
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { ControllerService } from "#gen/pecr/controller/v1/controller_pb.js";
import { GatewayService } from "#gen/pecr/gateway/v1/gateway_pb.js";
import { TerminalMode } from "#gen/pecr/v1/terminal_mode_pb.js";
import { openTestSession } from "../support/gateway-sessions.js";
import { type Stack, startStack } from "../support/stack-harness.js";
import { forEachBackend } from "./support/backends.js";
import {
  type Answer,
  type Encoding,
  HOSTILE_STRINGS,
  type Target,
  hostileMessage,
  hugeRepeated,
  invalidUtf8Bodies,
  knownDefect,
  send,
  stringSlots,
  truncatedOrRandomBinary,
  unknownFields,
  verdict,
  wrongTypedJson,
} from "./support/bad-input.js";
import { assertLedgerVerifies } from "./support/ledger-audit.js";

const test = anyTest as TestFn;
/** Both services' read limit in this file, so "past the limit" is cheap to send. */
const READ_MAX_BYTES = 64 * 1024;
const FUZZ_BUDGET = { maxOperatorCalls: 10_000, maxBytes: 67_108_864n, maxWallclockMs: 300_000n, maxRecursionDepth: 20, maxParallelism: 4 };
/** Property runs per RPC (the controller's Run executes whole runs, so it gets fewer). */
const RUNS = { gateway: 25, controller: 8 } as const;

forEachBackend(test, "bad-input suite", ({ backend, prefix }) => {
  let stack: Stack | undefined;
  let tried = 0;
  const defects = new Map<string, number>();
  const sessions = new Map<string, { sessionId: string; token: string }>();

  test.before(async () => {
    stack = await startStack({
      backend,
      gatewayEnv: { PECR_READ_MAX_BYTES: String(READ_MAX_BYTES) },
      controllerEnv: { PECR_READ_MAX_BYTES: String(READ_MAX_BYTES) },
    });
  });
  test.after.always(async () => {
    await stack?.close();
  });

  /** A dev session per RPC (Finalize closes its own), so inputs get past the session checks to the handlers. */
  async function sessionFor(method: string) {
    let session = sessions.get(method);
    if (session === undefined) {
      const opened = await openTestSession(stack!.gateway("dev"), { budget: FUZZ_BUDGET });
      session = { sessionId: opened.sessionId, token: opened.token };
      sessions.set(method, session);
    }
    return session;
  }

  async function targets(): Promise<Target[]> {
    const of = async (service: DescService, url: () => string): Promise<Target[]> =>
      Promise.all(
        service.methods.map(async (method) => {
          const session = service === GatewayService ? await sessionFor(method.name) : undefined;
          return {
            service: service.typeName,
            method,
            baseUrl: url,
            headers: () => ({ "x-pecr-principal-id": "dev", ...(session ? { "x-pecr-session-token": session.token } : {}) }),
            ...(session ? { sessionId: () => session.sessionId } : {}),
          };
        }),
      );
    return [...(await of(GatewayService, () => stack!.gatewayUrl)), ...(await of(ControllerService, () => stack!.controller.url))];
  }

  /** Sends one input, counts it, and throws (for fast-check to shrink) when the answer is not acceptable. */
  async function check(
    target: Target,
    body: Uint8Array,
    encoding: Encoding,
    expect?: (answer: Answer) => string | undefined,
    tolerate?: (answer: Answer) => string | undefined,
  ): Promise<Answer> {
    tried++;
    const answer = await send(target, body, encoding);
    const defect = knownDefect(answer) ?? tolerate?.(answer);
    if (defect !== undefined) defects.set(defect, (defects.get(defect) ?? 0) + 1);
    const problem = defect === undefined ? (verdict(answer) ?? expect?.(answer)) : undefined;
    if (problem !== undefined) throw new Error(`${target.method.name} (${encoding}, ${body.length} bytes): ${problem}`);
    return answer;
  }

    /** fast-check's assert, with the failing answer (the error's cause) in the message ava prints. */
  async function assertProperty<T>(property: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
    try {
      await fc.assert(property, { numRuns });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      throw new Error(`${(error as Error).message.split("\n").slice(0, 3).join(" ")} — ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  }

  const runs = (target: Target) => (target.service === ControllerService.typeName ? RUNS.controller : RUNS.gateway);
  const input = (target: Target): DescMessage => target.method.input;

  test.serial(`${prefix}bad input: random messages with hostile strings in every field get clear codes from every RPC`, async (t) => {
    const start = tried;
    for (const target of await targets()) {
      await assertProperty(fc.asyncProperty(hostileMessage(input(target), () => target.sessionId?.()), async (body) => void (await check(target, body, "proto"))), runs(target));
    }
    t.log(`${tried - start} inputs`);
    t.pass();
  });

  test.serial(`${prefix}bad input: path traversal and SQL-looking strings in each string field, one field at a time`, async (t) => {
    const start = tried;
    const codes = new Map<string, number>();
    for (const target of await targets()) {
      const slots = stringSlots(input(target));
      const strings = target.service === ControllerService.typeName ? HOSTILE_STRINGS.slice(0, 8) : HOSTILE_STRINGS;
      for (const slot of slots) {
        for (const value of strings) {
          const json = slot.json(value) as Record<string, unknown>;
          if (target.sessionId && json.sessionId === undefined && input(target).fields.some((f) => f.localName === "sessionId")) json.sessionId = target.sessionId();
          const answer = await check(target, new TextEncoder().encode(JSON.stringify(json)), "json");
          codes.set(answer.code, (codes.get(answer.code) ?? 0) + 1);
        }
      }
    }
    t.log(`${tried - start} inputs; codes ${JSON.stringify(Object.fromEntries(codes))}`);
    t.true((codes.get("invalid_argument") ?? 0) > 0);
  });

  test.serial(`${prefix}bad input: wrong JSON types and random JSON are refused as invalid arguments`, async (t) => {
    const start = tried;
    for (const target of await targets()) {
      await assertProperty(fc.asyncProperty(wrongTypedJson(input(target)), async (body) => void (await check(target, body, "json"))), runs(target));
      await assertProperty(fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => void (await check(target, new TextEncoder().encode(JSON.stringify(value)), "json"))), runs(target));
      // Not JSON at all.
      await check(target, new TextEncoder().encode("{\"sessionId\": "), "json", (answer) => (answer.code === "invalid_argument" ? undefined : `got ${answer.code}`));
    }
    t.log(`${tried - start} inputs`);
    t.pass();
  });

  test.serial(`${prefix}bad input: truncated and random binary gets clear codes`, async (t) => {
    const start = tried;
    for (const target of await targets()) {
      await assertProperty(fc.asyncProperty(truncatedOrRandomBinary(input(target)), async (body) => void (await check(target, body, "proto"))), runs(target));
    }
    t.log(`${tried - start} inputs`);
    t.pass();
  });

  test.serial(`${prefix}bad input: unknown JSON fields are refused; unknown binary fields are ignored safely`, async (t) => {
    const start = tried;
    for (const target of await targets()) {
      await assertProperty(fc.asyncProperty(unknownFields(input(target), () => target.sessionId?.()), async ({ body, encoding }) => {
          await check(target, body, encoding, (answer) => (encoding === "json" && answer.code !== "invalid_argument" ? `unknown JSON field got ${answer.code}` : undefined));
        }), runs(target));
    }
    t.log(`${tried - start} inputs`);
    t.pass();
  });

  test.serial(`${prefix}bad input: invalid UTF-8 and lone surrogates in each string field get clear codes`, async (t) => {
    const start = tried;
    for (const target of await targets()) {
      const bodies = invalidUtf8Bodies(input(target), target.sessionId?.());
      const limited = target.service === ControllerService.typeName ? bodies.slice(0, 4) : bodies;
      for (const { path, body, encoding } of limited) {
        try {
          await check(target, body, encoding);
        } catch (error) {
          throw new Error(`${path}: ${(error as Error).message}`);
        }
      }
    }
    t.log(`${tried - start} inputs`);
    t.pass();
  });

  test.serial(`${prefix}bad input: payloads past the read limit are refused as resource exhausted, in JSON, binary and gRPC`, async (t) => {
    const start = tried;
    const big = "a".repeat(READ_MAX_BYTES + 1024);
    const exhausted = (answer: Answer) => (answer.code === "resource_exhausted" ? undefined : `oversized body got ${answer.code}`);
    for (const target of await targets()) {
      await check(target, new TextEncoder().encode(JSON.stringify({ padding: big })), "json", exhausted);
      const slot = stringSlots(input(target))[0];
      if (slot !== undefined) await check(target, new TextEncoder().encode(JSON.stringify(slot.json(big))), "json", exhausted);
      await check(target, new Uint8Array(READ_MAX_BYTES + 1024).fill(0x0a), "proto", exhausted);
    }
    for (const [service, url] of [
      [GatewayService, stack!.gatewayUrl],
      [ControllerService, stack!.controller.url],
    ] as const) {
      tried++;
      const headers = { "x-pecr-principal-id": "dev" };
      const error =
        service === GatewayService
          ? await createClient(GatewayService, createGrpcTransport({ baseUrl: url })).search({ sessionId: "x", params: { query: big } }, { headers }).then(() => undefined, ConnectError.from)
          : await createClient(ControllerService, createGrpcTransport({ baseUrl: url })).run({ query: big }, { headers }).then(() => undefined, ConnectError.from);
      t.is(error?.code, Code.ResourceExhausted, service.typeName);
    }
    t.log(`${tried - start} inputs`);
  });

  test.serial(`${prefix}bad input: huge repeated fields are refused without harm`, async (t) => {
    const start = tried;
    for (const target of await targets()) {
      for (const { path, body } of hugeRepeated(input(target), 5000, target.sessionId?.())) {
        const answer = await check(target, body, "proto");
        t.not(answer.code, "ok", `${target.method.name}.${path} with 5000 items was accepted`);
      }
    }
    t.log(`${tried - start} inputs`);
  });

  // ---- Defects these properties found, each fixed and kept as a regression test ----

  /** The answer of one JSON or binary request to a gateway RPC, on a dev session of its own. */
  async function answerOf(method: string, body: Uint8Array | Record<string, unknown>, encoding: Encoding = "json"): Promise<Answer> {
    const target = (await targets()).find((candidate) => candidate.method.name === method)!;
    const bytes = body instanceof Uint8Array ? body : new TextEncoder().encode(JSON.stringify({ sessionId: target.sessionId?.(), ...body }));
    return send(target, bytes, encoding);
  }

  test.serial(`${prefix}bad input: malformed binary (a bad tag, invalid UTF-8) is InvalidArgument, not Internal`, async (t) => {
    // connect-es decodes requests before any interceptor runs; patches/@connectrpc+connect+*.patch makes a request
    // that does not decode the caller's error, as a request that is not JSON already is.
    t.like(await answerOf("CreateSession", new Uint8Array([0]), "proto"), { code: "invalid_argument", message: "parse binary: illegal tag: field no 0 wire type 0" });
    t.like(await answerOf("Search", new Uint8Array([0x0a, 0x03, 0xff, 0xfe, 0xc0]), "proto"), { code: "invalid_argument" });
  });

  test.serial(`${prefix}bad input: a NUL byte in object_id is InvalidArgument, not a retryable "ledger unavailable"`, async (t) => {
    t.like(await answerOf("FetchSpan", { params: { objectId: "public/public_1.txt\u0000.png" } }), { code: "invalid_argument" });
  });

  test.serial(`${prefix}bad input: ListEvents after_seq past the int64 range is InvalidArgument, not "ledger unavailable"`, async (t) => {
    // The caller (dev) may read the audit trail, so the only refusal left is the range check.
    t.like(await answerOf("ListEvents", { afterSeq: "18446744073709551615" }), { code: "invalid_argument", message: "after_seq is out of range" });
    t.like(await answerOf("ListEvents", { afterSeq: "9223372036854775808" }), { code: "invalid_argument", message: "after_seq is out of range" });
    t.like(await answerOf("ListEvents", { afterSeq: "9223372036854775807" }), { code: "ok" });
  });

  test.serial(`${prefix}bad input: a lone surrogate in JSON evidence content is InvalidArgument, not Internal`, async (t) => {
    // JSON.stringify writes the lone surrogate as the escape \ud800, which JSON.parse turns back into one.
    t.like(await answerOf("Redact", { params: { evidenceUnits: [{ json: { k: "\ud800" } }] } }), { code: "invalid_argument" });
  });

  test.serial(`${prefix}bad input: afterwards both services still answer, nothing was logged as internal, and the ledger verifies`, async (t) => {
    const s = stack!;
    const run = await s.controller.client("dev").run({ query: "What are the support hours?" });
    t.is(run.terminalMode, TerminalMode.SUPPORTED);
    t.is((await fetch(`${s.gatewayUrl}/readyz`)).status, 200);
    t.is((await fetch(`${s.controller.url}/readyz`)).status, 200);
    // Error lines are Internal answers: there must be none.
    const internal = [...s.gatewayLogs, ...s.controller.logs].filter(
      (line) => /"level":"(error|fatal)"/.test(line),
    );
    t.deepEqual(internal.map((line) => line.slice(0, 300)), []);
    await assertLedgerVerifies(t, s.gateway("auditor"));
    t.log(`${tried} bad inputs tried in total on ${backend}; answers showing known defects: ${JSON.stringify(Object.fromEntries(defects))}`);
  });
});
