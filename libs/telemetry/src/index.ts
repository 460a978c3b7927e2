export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './log.ts';
export { registry, collectProcessMetrics, counter, gauge, histogram, type Counter, type Gauge, type Histogram } from './metrics.ts';
export { startTracing, tracer, type TracingHandle } from './tracing.ts';
