// OpenTelemetry traces. Started only when an OTLP endpoint is configured
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), so a
// local run pays nothing for it.
import { trace, type Tracer } from '@opentelemetry/api';

export interface TracingHandle {
  enabled: boolean;
  shutdown(): Promise<void>;
}

export async function startTracing(serviceName: string): Promise<TracingHandle> {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || process.env.OTEL_SDK_DISABLED === 'true') return { enabled: false, shutdown: async () => {} };
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  process.env.OTEL_SERVICE_NAME ??= serviceName;
  const sdk = new NodeSDK({ traceExporter: new OTLPTraceExporter() });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}

export function tracer(name: string): Tracer {
  return trace.getTracer(name);
}
