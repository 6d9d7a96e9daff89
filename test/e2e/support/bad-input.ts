/**
 * Bad input for every RPC, generic over the descriptors: arbitraries of malformed requests (random messages with
 * hostile strings, wrong JSON types, truncated and random binary, unknown fields, invalid UTF-8, huge repeated
 * fields, payloads past the read limit), a raw Connect sender that reports what the server answered, and the
 * verdict on an answer: a clear client error code (or success), never Internal/Unknown/5xx, never internals in
 * the message.
 */
import { type DescField, type DescMessage, type DescMethod, type JsonValue, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import fc from "fast-check";
import { arbitraryMessage } from "#core/canonical/testing/arbitrary-message.js";

/** Strings that try path traversal, SQL, templating, control characters and oversized ids. */
export const HOSTILE_STRINGS: readonly string[] = [
  "../restricted/restricted_1.txt",
  "../../../../etc/passwd",
  "/etc/passwd",
  "public/../restricted/restricted_1.txt",
  "..\\..\\windows\\win.ini",
  "%2e%2e%2fetc%2fpasswd",
  "public/public_1.txt\u0000.png",
  "x' OR '1'='1",
  "'; DROP TABLE pecr_events; --",
  "1; SELECT pg_sleep(10)",
  "safe_customer_view\" UNION SELECT admin_note FROM pecr_fixture_customers --",
  "admin_note",
  "${jndi:ldap://127.0.0.1/x}",
  "{{7*7}}",
  "\u202e\u0000\u0007\r\n",
  "",
  " ",
  "a".repeat(2000),
  "f".repeat(64),
  "Z".repeat(26),
];

/** An RPC under test. */
export interface Target {
  /** `pecr.gateway.v1.GatewayService` or `pecr.controller.v1.ControllerService`. */
  readonly service: string;
  /** The method. */
  readonly method: DescMethod;
  /** Base URL of the server. */
  readonly baseUrl: () => string;
  /** Headers to send (principal, session token). */
  readonly headers: () => Record<string, string>;
  /** A real session id the gateway knows, substituted into `session_id` fields so inputs reach the handlers. */
  readonly sessionId?: () => string;
}

/** What the server answered. */
export interface Answer {
  /** HTTP status. */
  readonly status: number;
  /** Connect code (`ok` on success). */
  readonly code: string;
  /** The error message, if any. */
  readonly message: string;
}

/** Codes a bad request may get: it was refused for a reason the client can act on, or it succeeded. */
export const CLEAR_CODES: ReadonlySet<string> = new Set([
  "ok",
  "invalid_argument",
  "not_found",
  "failed_precondition",
  "permission_denied",
  "unauthenticated",
  "resource_exhausted",
  "out_of_range",
  "already_exists",
]);

/** Signs of internals in a message: stack frames, file paths, driver or SQL errors. */
const INTERNALS = /node_modules|\/work\/|\.ts:\d+|\bat [\w.<>]+ \(|syntax error at or near|relation "|violates .* constraint|pglite|PostgresError|TypeError|ReferenceError|undefined is not/i;

/**
 * Defects found by these suites and reported to be fixed (each reproduced by a `test.failing` in
 * bad-input.test.ts). Until fixed, the properties tolerate exactly these answers so that they keep guarding
 * against everything else; remove an entry when its failing test starts passing.
 */
export const KNOWN_DEFECTS: readonly { readonly id: string; matches(answer: Answer): boolean }[] = [];

/** The known defect `answer` shows, if any. */
export function knownDefect(answer: Answer): string | undefined {
  return KNOWN_DEFECTS.find((defect) => defect.matches(answer))?.id;
}

/** Why `answer` is not acceptable for a bad request; undefined when it is (or shows a known defect). */
export function verdict(answer: Answer): string | undefined {
  if (knownDefect(answer) !== undefined) return undefined;
  if (answer.status >= 500 && answer.code !== "resource_exhausted") return `HTTP ${answer.status} (${answer.code}: ${answer.message})`;
  if (!CLEAR_CODES.has(answer.code)) return `code ${answer.code}: ${answer.message}`;
  if (INTERNALS.test(answer.message)) return `internals in the message: ${answer.message}`;
  return undefined;
}

/** How a body is encoded. */
export type Encoding = "json" | "proto";

/** One length-prefixed Connect streaming envelope. */
function envelope(flags: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + data.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
}

/** The end-of-stream error of a Connect streaming response body, if any. */
function streamError(body: Uint8Array): { code: string; message: string } | undefined {
  let offset = 0;
  while (offset + 5 <= body.length) {
    const flags = body[offset]!;
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    const data = body.subarray(offset + 5, offset + 5 + length);
    offset += 5 + length;
    if ((flags & 0x02) !== 0) {
      const end = JSON.parse(new TextDecoder().decode(data)) as { error?: { code: string; message?: string } };
      return end.error === undefined ? undefined : { code: end.error.code, message: end.error.message ?? "" };
    }
  }
  return { code: "unknown", message: "stream ended without an end-of-stream message" };
}

/** Sends `body` to `target` with the Connect protocol (unary, or server streaming) and reports the answer. */
export async function send(target: Target, body: Uint8Array, encoding: Encoding): Promise<Answer> {
  const streaming = target.method.methodKind === "server_streaming";
  const contentType = streaming ? `application/connect+${encoding}` : `application/${encoding}`;
  const response = await fetch(`${target.baseUrl()}/${target.service}/${target.method.name}`, {
    method: "POST",
    headers: { "content-type": contentType, "connect-protocol-version": "1", ...target.headers() },
    // A copy on its own ArrayBuffer: fetch's body type does not take views of shared buffers.
    body: new Uint8Array(streaming ? envelope(0, body) : body),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.status === 200 && !streaming) return { status: 200, code: "ok", message: "" };
  if (response.status === 200) {
    const error = streamError(bytes);
    return { status: 200, code: error?.code ?? "ok", message: error?.message ?? "" };
  }
  try {
    const error = JSON.parse(new TextDecoder().decode(bytes)) as { code?: string; message?: string };
    return { status: response.status, code: error.code ?? `http_${response.status}`, message: error.message ?? "" };
  } catch {
    return { status: response.status, code: `http_${response.status}`, message: new TextDecoder().decode(bytes).slice(0, 200) };
  }
}

// ---- walking messages ---------------------------------------------------------------------------------------

type Plain = Record<string, unknown>;

/** Replaces every string (fields, list items, map keys and values) of `message` by `next()`, recursively. */
export function replaceStrings(desc: DescMessage, message: Plain, next: () => string): void {
  for (const field of desc.fields) {
    const holder: Plain | undefined = field.oneof === undefined ? message : oneofHolder(message, field);
    if (holder === undefined) continue;
    const key = field.oneof === undefined ? field.localName : "value";
    const value = holder[key];
    if (field.fieldKind === "scalar" && field.scalar === 9 /* STRING */) holder[key] = next();
    else if (field.fieldKind === "list" && field.listKind === "scalar" && field.scalar === 9) holder[key] = (value as string[]).map(() => next());
    else if (field.fieldKind === "list" && field.listKind === "message" && !isWellKnown(field.message)) {
      for (const item of value as Plain[]) replaceStrings(field.message, item, next);
    } else if (field.fieldKind === "map" && field.mapKey === 9) {
      const entries = Object.entries(value as Plain);
      holder[key] = Object.fromEntries(entries.map(([, item]) => [next(), field.mapKind === "scalar" && field.scalar === 9 ? next() : item]));
    } else if (field.fieldKind === "message" && value !== undefined && !isWellKnown(field.message)) {
      replaceStrings(field.message, value as Plain, next);
    }
  }
}

function oneofHolder(message: Plain, field: DescField): Plain | undefined {
  const holder = message[field.oneof!.localName] as { case?: string } | undefined;
  return holder?.case === field.localName ? (holder as Plain) : undefined;
}

function isWellKnown(desc: DescMessage): boolean {
  return desc.typeName.startsWith("google.protobuf.");
}

/** Sets the top-level `session_id`, if the request has one. */
function withSession(desc: DescMessage, message: Plain, sessionId: string | undefined): void {
  if (sessionId !== undefined && desc.fields.some((field) => field.localName === "sessionId")) message.sessionId = sessionId;
}

/** A JSON path to one string-bearing field and the JSON that puts `value` there. */
export interface StringSlot {
  /** Dotted path, for failure messages. */
  readonly path: string;
  /** JSON of a request holding `value` in that slot only. */
  json(value: string): JsonValue;
}

/** Every string-bearing slot of `desc` (fields, list items, map keys and values, Struct content) to depth 4. */
export function stringSlots(desc: DescMessage, depth = 4, seen: readonly string[] = []): StringSlot[] {
  const slots: StringSlot[] = [];
  for (const field of desc.fields) {
    const name = field.jsonName;
    const wrap = (inner: (value: string) => JsonValue, suffix = "") => ({ path: `${name}${suffix}`, json: (value: string) => ({ [name]: inner(value) }) });
    if (field.fieldKind === "scalar" && field.scalar === 9) slots.push(wrap((value) => value));
    else if (field.fieldKind === "list" && field.listKind === "scalar" && field.scalar === 9) slots.push(wrap((value) => [value], "[]"));
    else if (field.fieldKind === "map" && field.mapKey === 9) {
      slots.push(wrap((value) => ({ [value]: field.mapKind === "scalar" && field.scalar === 9 ? "x" : {} }), "{key}"));
      if (field.mapKind === "scalar" && field.scalar === 9) slots.push(wrap((value) => ({ k: value }), "{value}"));
    } else if ((field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) && depth > 0) {
      const child = field.message;
      if (child.typeName === "google.protobuf.Struct") {
        slots.push(wrap((value) => (field.fieldKind === "list" ? [{ [value]: value }] : { [value]: value }), "{struct}"));
        continue;
      }
      if (isWellKnown(child) || seen.includes(child.typeName)) continue;
      for (const slot of stringSlots(child, depth - 1, [...seen, desc.typeName])) {
        slots.push({
          path: `${name}${field.fieldKind === "list" ? "[]" : ""}.${slot.path}`,
          json: (value) => ({ [name]: field.fieldKind === "list" ? [slot.json(value)] : slot.json(value) }),
        });
      }
    }
  }
  return slots;
}

// ---- arbitraries --------------------------------------------------------------------------------------------

/** A hostile string, or a random one. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

/** A random message of the method's input type with hostile strings everywhere, as binary. */
export function hostileMessage(desc: DescMessage, sessionId: () => string | undefined): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(arbitraryMessage(desc, { maxDepth: 3, maxItems: 3 }), fc.array(hostileString, { minLength: 16, maxLength: 16 }), fc.boolean())
    .map(([message, strings, useSession]) => {
      let index = 0;
      replaceStrings(desc, message as unknown as Plain, () => strings[index++ % strings.length]!);
      if (useSession) withSession(desc, message as unknown as Plain, sessionId());
      return toBinary(desc, message);
    });
}

/** A JSON value of the wrong kind for most fields. */
const wrongJson: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom("", "NaN", "-1", "18446744073709551616", "not-a-date", "@@@", ...HOSTILE_STRINGS.slice(0, 4)),
  fc.constant<JsonValue>([]),
  fc.constant<JsonValue>({}),
  fc.jsonValue({ maxDepth: 2 }).map((value) => value as JsonValue),
);

/** A JSON object with the input type's field names mapped to values of any (mostly wrong) type, as bytes. */
export function wrongTypedJson(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  const parts = Object.fromEntries(desc.fields.map((field) => [field.jsonName, wrongJson]));
  return fc.record(parts, { requiredKeys: [] }).map((object) => new TextEncoder().encode(JSON.stringify(object)));
}

/** A valid message's binary cut short, or random bytes. */
export function truncatedOrRandomBinary(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  const truncated = fc
    .tuple(arbitraryMessage(desc, { maxDepth: 3, maxItems: 3 }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([message, cut]) => {
      const bytes = toBinary(desc, message);
      return bytes.subarray(0, Math.floor(bytes.length * cut));
    });
  return fc.oneof(truncated, fc.uint8Array({ minLength: 1, maxLength: 200 }));
}

/** A valid message with unknown fields: a JSON key the schema lacks, or unknown binary field numbers. */
export function unknownFields(desc: DescMessage, sessionId: () => string | undefined): fc.Arbitrary<{ body: Uint8Array; encoding: Encoding }> {
  return fc.tuple(arbitraryMessage(desc, { maxDepth: 2, maxItems: 2 }), fc.integer({ min: 1000, max: 536_870_911 }), fc.boolean()).map(([message, fieldNumber, json]) => {
    withSession(desc, message as unknown as Plain, sessionId());
    if (json) {
      const object = toJson(desc, message) as Record<string, JsonValue>;
      object[`unknownField${fieldNumber}`] = "x";
      return { body: new TextEncoder().encode(JSON.stringify(object)), encoding: "json" as const };
    }
    const known = toBinary(desc, message);
    const tag = varint((fieldNumber << 3) >>> 0 | 0);
    const extra = new Uint8Array([...tag, ...varint(7)]);
    return { body: new Uint8Array([...known, ...extra]), encoding: "proto" as const };
  });
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}

const UTF8_PLACEHOLDER = "PECRBADUTF8";
/** Invalid UTF-8 of the placeholder's length: a lone continuation byte, an overlong form, 0xFF, a cut sequence. */
const INVALID_UTF8 = [0x80, 0xc0, 0xaf, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0xe2, 0x82, 0x28];

/**
 * Every string slot of the request, one at a time, holding invalid UTF-8 in binary (same length as a placeholder,
 * so length prefixes stay right) or a lone surrogate in JSON.
 */
export function invalidUtf8Bodies(desc: DescMessage, sessionId: string | undefined): { path: string; body: Uint8Array; encoding: Encoding }[] {
  const bodies: { path: string; body: Uint8Array; encoding: Encoding }[] = [];
  const placeholder = new TextEncoder().encode(UTF8_PLACEHOLDER);
  for (const slot of stringSlots(desc)) {
    const json = slot.json(UTF8_PLACEHOLDER) as Record<string, JsonValue>;
    if (sessionId !== undefined && desc.fields.some((field) => field.localName === "sessionId") && json.sessionId === undefined) json.sessionId = sessionId;
    let binary: Uint8Array;
    try {
      binary = toBinary(desc, fromJson(desc, json));
    } catch {
      continue;
    }
    const at = indexOf(binary, placeholder);
    if (at >= 0) {
      const corrupted = new Uint8Array(binary);
      corrupted.set(INVALID_UTF8, at);
      bodies.push({ path: slot.path, body: corrupted, encoding: "proto" });
    }
    const text = JSON.stringify(json).replace(UTF8_PLACEHOLDER, "\\ud800x\\udfff");
    bodies.push({ path: slot.path, body: new TextEncoder().encode(text), encoding: "json" });
  }
  return bodies;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Requests whose repeated fields (top level and one level down) hold `count` items each, as binary. */
export function hugeRepeated(desc: DescMessage, count: number, sessionId: string | undefined): { path: string; body: Uint8Array }[] {
  const bodies: { path: string; body: Uint8Array }[] = [];
  const item = (field: DescField): JsonValue => {
    if (field.fieldKind !== "list") return null;
    if (field.listKind === "scalar") return field.scalar === 9 ? "x" : field.scalar === 8 ? true : field.scalar === 12 ? "" : 0;
    if (field.listKind === "enum") return 0;
    return {};
  };
  const visit = (message: DescMessage, wrap: (inner: JsonValue) => JsonValue, prefix: string, depth: number) => {
    for (const field of message.fields) {
      if (field.fieldKind === "list") {
        const json = wrap({ [field.jsonName]: Array.from({ length: count }, () => item(field)) }) as Record<string, JsonValue>;
        if (sessionId !== undefined && desc.fields.some((f) => f.localName === "sessionId")) json.sessionId = sessionId;
        try {
          bodies.push({ path: `${prefix}${field.jsonName}`, body: toBinary(desc, fromJson(desc, json)) });
        } catch {
          // A list of a type whose empty JSON is not valid (never among PECR's requests); nothing to send.
        }
      } else if (field.fieldKind === "message" && depth > 0 && !isWellKnown(field.message)) {
        visit(field.message, (inner) => wrap({ [field.jsonName]: inner }), `${prefix}${field.jsonName}.`, depth - 1);
      }
    }
  };
  visit(desc, (inner) => inner, "", 1);
  return bodies;
}
