/**
 * The one error type startup code throws. Entry points catch it, print `STARTUP_ERROR <CODE>: <message>` to
 * stderr and exit with status 1 (reference §2.2), so operators and scripts can match on the code.
 */

/** Stable startup error codes, `ERR_` plus UPPER_SNAKE (e.g. ERR_INVALID_CONFIG, ERR_MISSING_CONFIG). */
export type StartupErrorCode = `ERR_${string}`;

/** A failure that prevents a service from starting; `cause` is kept for diagnostics. */
export class StartupError extends Error {
  override readonly name = "StartupError";
  /** Stable code, printed first. */
  readonly code: StartupErrorCode;

  /** Creates a startup error with its code and a fixed, human-readable message. */
  constructor(code: StartupErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The line an entry point prints for a failed start. Anything that is not a StartupError is reported as
 * ERR_STARTUP_FAILED with its message, because a crash during startup must still produce a parseable line.
 */
export function formatStartupError(error: unknown): string {
  if (error instanceof StartupError) return `STARTUP_ERROR ${error.code}: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `STARTUP_ERROR ERR_STARTUP_FAILED: ${message}`;
}
