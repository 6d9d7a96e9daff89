/**
 * `grpc.health.v1.Health` (gRPC's health-checking protocol). The overall status and that of every served
 * service is the same: SERVING while the service is ready and not draining, NOT_SERVING otherwise. Watch sends
 * the current status at once, then each change (polled), and ends after reporting NOT_SERVING when the server
 * starts draining, so open watches never hold up a graceful shutdown.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "#gen/grpc/health/v1/health_pb.js";

/** Options of `registerHealthService`. */
export interface HealthServiceOptions {
  /** Fully qualified names of the served services (known to Check, Watch and List). */
  readonly services: readonly string[];
  /** Whether the service can serve now (readiness). */
  readonly isReady: () => Promise<boolean>;
  /** Aborted when the server starts draining. */
  readonly draining: AbortSignal;
  /** How often Watch re-evaluates the status; default 5000 ms. */
  readonly watchIntervalMs?: number;
}

function response(status: ServingStatus): HealthCheckResponse {
  return create(HealthCheckResponseSchema, { status });
}

/** Resolves after `ms` (never, for Infinity), or early when any signal aborts. */
function pause(ms: number, signals: readonly AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    for (const signal of signals) signal.addEventListener("abort", done, { once: true });
    if (signals.some((signal) => signal.aborted)) done();
  });
}

/** Registers the health service on `router`. */
export function registerHealthService(router: ConnectRouter, options: HealthServiceOptions): void {
  const known = new Set(options.services);
  const intervalMs = options.watchIntervalMs ?? 5000;
  const status = async (): Promise<ServingStatus> => {
    if (options.draining.aborted) return ServingStatus.NOT_SERVING;
    return (await options.isReady()) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  const isKnown = (service: string) => service === "" || known.has(service);

  router.service(Health, {
    async check(req: HealthCheckRequest) {
      if (!isKnown(req.service)) throw new ConnectError("unknown service", Code.NotFound);
      return response(await status());
    },
    async *watch(req: HealthCheckRequest, ctx: HandlerContext) {
      if (!isKnown(req.service)) {
        // The protocol says: report SERVICE_UNKNOWN and keep the call open; services never appear later
        // here, so it stays open until the client leaves or the server drains.
        yield response(ServingStatus.SERVICE_UNKNOWN);
        await pause(Infinity, [ctx.signal, options.draining]);
        return;
      }
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const current = await status();
        if (current !== last) {
          yield response(current);
          last = current;
        }
        if (options.draining.aborted) return;
        await pause(intervalMs, [ctx.signal, options.draining]);
      }
    },
    async list() {
      const current = await status();
      const statuses: Record<string, HealthCheckResponse> = { "": response(current) };
      for (const service of known) statuses[service] = response(current);
      return { statuses };
    },
  });
}
