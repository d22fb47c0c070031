import { trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

/**
 * Self-tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, so a
 * default install never tries to reach a collector. The exporter reads the standard OTEL_* env.
 */
export interface Tracing {
  shutdown(): Promise<void>;
}

export function startTracing(env: NodeJS.ProcessEnv, version: string): Tracing | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'aiopsd',
    resource: resourceFromAttributes({ 'service.version': version }),
    traceExporter: new OTLPTraceExporter(),
    autoDetectResources: true,
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/**
 * Run `fn` inside a span. Without a registered SDK the OpenTelemetry API hands out no-op spans,
 * so this costs next to nothing when tracing is off.
 */
export async function inSpan<T>(name: string, attributes: Record<string, string | number | boolean>, fn: (span: Span) => Promise<T>): Promise<T> {
  return trace.getTracer('aiopsd').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}
