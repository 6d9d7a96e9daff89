/**
 * Metrics for one app: a prom-client `Registry` of its own (never the global one, so two services or two tests
 * in one process never share counters), the standard RPC metrics every service exports, and a hook through
 * which a service adds its own metrics to the same registry.
 */
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from "prom-client";

/** Histogram buckets in seconds, as reference §7.2. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Labels of the standard RPC metrics; all low-cardinality (service and method come from the descriptors). */
export type RpcLabel = "service" | "method" | "code";

/** Options of `createAppMetrics`. */
export interface CreateAppMetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop); default false. */
  readonly collectProcessMetrics?: boolean;
}

/** A service's metrics. */
export interface AppMetrics {
  /** The app's own registry; `/metrics` renders it. */
  readonly registry: Registry;
  /** `pecr_rpc_server_handled_total{service,method,code}`: RPCs completed, by final Connect code. */
  readonly rpcHandled: Counter<RpcLabel>;
  /** `pecr_rpc_server_handling_seconds{service,method,code}`: RPC duration until the last response byte. */
  readonly rpcHandlingSeconds: Histogram<RpcLabel>;
  /** Adds a counter to this registry (the hook for service metrics). */
  counter<L extends string>(config: Omit<CounterConfiguration<L>, "registers">): Counter<L>;
  /** Adds a histogram to this registry; buckets default to `DURATION_BUCKETS_SECONDS`. */
  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, "registers">): Histogram<L>;
  /** Adds a gauge to this registry. */
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, "registers">): Gauge<L>;
  /** The Prometheus text exposition of the registry. */
  render(): Promise<string>;
}

/** Creates an app's registry with the standard RPC metrics in it. */
export function createAppMetrics(options: CreateAppMetricsOptions = {}): AppMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(config: Omit<CounterConfiguration<L>, "registers">) =>
    new Counter<L>({ ...config, registers: [registry] });
  const histogram = <L extends string>(config: Omit<HistogramConfiguration<L>, "registers">) =>
    new Histogram<L>({ buckets: [...DURATION_BUCKETS_SECONDS], ...config, registers: [registry] });
  const gauge = <L extends string>(config: Omit<GaugeConfiguration<L>, "registers">) =>
    new Gauge<L>({ ...config, registers: [registry] });
  return {
    registry,
    rpcHandled: counter<RpcLabel>({
      name: "pecr_rpc_server_handled_total",
      help: "RPCs completed on the server, by service, method and Connect code.",
      labelNames: ["service", "method", "code"],
    }),
    rpcHandlingSeconds: histogram<RpcLabel>({
      name: "pecr_rpc_server_handling_seconds",
      help: "Time from receiving an RPC to its last response message, in seconds.",
      labelNames: ["service", "method", "code"],
    }),
    counter,
    histogram,
    gauge,
    render: () => registry.metrics(),
  };
}
