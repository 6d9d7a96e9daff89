/**
 * The one place loggers are made: a JSON pino root logger per service and named children of it. Secret headers
 * are redacted wherever they appear up to two levels deep (a bare field, `headers.x`, `req.headers.x`), so a
 * handler that logs request metadata cannot leak credentials.
 */
import { pino, type DestinationStream, type Level, type Logger } from "pino";

/** Header names whose values never reach a log line. */
export const SECRET_HEADER_NAMES: readonly string[] = [
  "authorization",
  "x-pecr-local-auth-secret",
  "x-pecr-session-token",
  "cookie",
  "set-cookie",
];

/** The levels a service may log at (`PECR_LOG_LEVEL`), most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A level of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of `createLogger`. */
export interface CreateLoggerOptions {
  /** Service name written on every line as `service` (e.g. `gateway`). */
  readonly service: string;
  /** Minimum level, or `silent`; default `info`. */
  readonly level?: Level | "silent" | undefined;
  /** Where lines go; default stdout (buffered). Tests pass a sink stream to assert on lines. */
  readonly destination?: DestinationStream;
}

/** pino redaction paths covering every secret header at depth 0, 1 and 2. */
export function secretRedactionPaths(): string[] {
  const paths: string[] = [];
  for (const name of SECRET_HEADER_NAMES) {
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`;
    const member = key.startsWith("[") ? key : `.${key}`;
    paths.push(key, `*${member}`, `*.*${member}`);
  }
  return paths;
}

/**
 * Serialises an error for a log line: type, message, code and stack, and the same of its cause — nothing
 * else. Driver errors carry extra enumerable properties (query text, bound parameters, row details) that may
 * hold evidence values; they never reach a log.
 */
export function safeErrorSerializer(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: "non-error value thrown" };
  const record: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") record.code = code;
  if (error.cause !== undefined && depth < 3) record.cause = safeErrorSerializer(error.cause, depth + 1);
  return record;
}

/**
 * The default destination: stdout, buffered. Writing each line synchronously costs a system call per line, which
 * showed up as several percent of a busy service's CPU; lines are written when 4 KiB have gathered or half a second
 * has passed, and on exit (pino flushes buffered destinations when the process exits).
 */
function bufferedStdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 500).unref();
  return destination;
}

/** Creates a service's root logger: JSON lines with ISO time, a `level` label and `service`. */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: secretRedactionPaths(), censor: "[REDACTED]" },
      serializers: { err: (error: unknown) => safeErrorSerializer(error) },
    },
    options.destination ?? bufferedStdout(),
  );
}

/** A child logger for one part of a service; its lines carry `logger: name`. */
export function namedLogger(parent: Logger, name: string): Logger {
  return parent.child({ logger: name });
}
