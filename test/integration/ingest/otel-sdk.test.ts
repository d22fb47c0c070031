import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { createOtlpTracesHandler } from '../../../src/ingest/otlp/index.js';
import { RedAggregator, RED_ERRORS, RED_RATE } from '../../../src/series/red.js';
import { SeriesStore } from '../../../src/series/store.js';
import { systemClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';
import { listen, type Listening } from './listen.js';
import { docSnippet } from './snippets.js';

describe('a real OpenTelemetry SDK exports to aiopsd (OTLP/HTTP protobuf and JSON) → RED series', () => {
  let srv: Listening;
  const store = new SeriesStore({ windowPoints: 100, maxSeries: 1000, staleAfterMs: 600_000 }, systemClock, createTestMetrics());
  const red = new RedAggregator({ stepMs: 1000, graceMs: 0 }, systemClock);

  beforeAll(async () => {
    const app = express();
    app.post('/v1/traces', createOtlpTracesHandler({ consumer: red, metrics: createTestMetrics(), maxBodyBytes: 4 << 20, maxDecodedBytes: 16 << 20 }));
    srv = await listen(app);
  });
  afterAll(() => srv.close());

  // The endpoint form docs/INGEST.md gives to SDK users.
  const env = Object.fromEntries(docSnippet('otel-sdk-env').trim().split('\n').map((l) => l.split('=', 2) as [string, string]));

  it.each([
    ['protobuf', (url: string) => new ProtoExporter({ url })],
    ['json', (url: string) => new JsonExporter({ url })],
  ] as const)('%s', async (kind, makeExporter) => {
    const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT!.replace('http://aiopsd:4318', srv.url);
    const service = `${env.OTEL_SERVICE_NAME}-${kind}`;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.version': 'v2' }),
      spanProcessors: [new BatchSpanProcessor(makeExporter(url), { scheduledDelayMillis: 100 })],
    });
    const tracer = provider.getTracer('aiopsd-test');
    for (let i = 0; i < 20; i++) {
      const span = tracer.startSpan('GET /pay', { kind: SpanKind.SERVER });
      const child = tracer.startSpan('db', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), span));
      child.end();
      if (i % 4 === 0) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    await provider.forceFlush();
    await provider.shutdown();
    await new Promise((r) => setTimeout(r, 1100));
    red.flush(store);
    const series = [...store.all()].filter((v) => v.labels.service === service);
    const rate = series.filter((v) => v.metric === RED_RATE);
    expect(rate.length).toBeGreaterThan(0);
    expect(rate[0]!.labels).toMatchObject({ operation: 'GET /pay', version: 'v2' });
    let total = 0;
    for (const v of rate) total += [...store.window(v.key).values].reduce((a, b) => a + b, 0);
    expect(total).toBe(20); // 1 s steps: rate × 1 s = requests
    const errors = series.filter((v) => v.metric === RED_ERRORS);
    expect(errors.length).toBeGreaterThan(0);
    expect(series.some((v) => v.metric === 'aiopsd_trace_latency_seconds' && v.labels.quantile === '0.99')).toBe(true);
    expect(series.some((v) => v.labels.operation === 'db')).toBe(false);
  });
});
