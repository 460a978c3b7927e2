// Prometheus metrics. One registry per process, exposed by the monitoring
// server of @mesh/service at /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
let defaultsCollected = false;

/** Process metrics (CPU, memory, event-loop lag) under the given prefix; idempotent. */
export function collectProcessMetrics(prefix = ''): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix });
}

function existing<T>(name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** Counters, gauges and histograms are created once per name; asking again returns the same one. */
export function counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return existing<Counter<L>>(name) ?? new Counter<L>({ name, help, labelNames, registers: [registry] });
}

export function gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  return existing<Gauge<L>>(name) ?? new Gauge<L>({ name, help, labelNames, registers: [registry] });
}

export function histogram<L extends string = string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets?: number[],
): Histogram<L> {
  return existing<Histogram<L>>(name) ?? new Histogram<L>({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) });
}

export type { Counter, Gauge, Histogram };
