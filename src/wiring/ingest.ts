import express, { type RequestHandler } from 'express';
import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import type { AlertEvidence } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { SeriesStore } from '../series/store.js';
import { RedAggregator } from '../series/red.js';
import { createSeriesHandler } from '../series/selectors.js';
import { createIngestMetrics, type Source } from '../ingest/source.js';
import { PrometheusQuerySource } from '../ingest/prometheus/source.js';
import { JaegerSource } from '../ingest/jaeger/source.js';
import { createOtlpTracesHandler } from '../ingest/otlp/handler.js';
import { createAlertmanagerHandler } from '../ingest/alertmanager/handler.js';
import { createRemoteWriteHandler } from '../ingest/remote-write/index.js';
import type { ReadinessCheck } from '../api/app.js';
import type { Stack } from './stack.js';
import { closeServer, listen } from '../lib/http-server.js';

export interface IngestHandlers {
  readonly remoteWrite: RequestHandler;
  readonly otlpTraces: RequestHandler | undefined;
  readonly alertmanager: RequestHandler | undefined;
  readonly series: RequestHandler;
  readonly readiness: ReadinessCheck[];
}

/**
 * Part of the composition root: every receiver and pull source, wired to the series store.
 * Traces become RED series through the RedAggregator, which writes into the same store.
 */
export async function buildIngest(
  config: Config,
  deps: { store: SeriesStore; registry: Registry; metrics: Metrics; logger: Logger; clock: Clock; onAlerts: (alerts: AlertEvidence[]) => Promise<void> },
  stack: Stack,
): Promise<IngestHandlers> {
  const { store, metrics, logger, clock } = deps;
  const ingestMetrics = createIngestMetrics(deps.registry);
  const red = new RedAggregator(config.ingest.red, clock, metrics);
  red.start(store.sinkFor('traces'));
  stack.push({ name: 'red', stop: () => red.stop() });

  const sources: Source[] = [];
  const prom = config.ingest.prometheus;
  if (prom.url) sources.push(new PrometheusQuerySource({ ...prom, url: prom.url }, clock, ingestMetrics, logger));
  const jaeger = config.ingest.jaeger;
  if (jaeger.url) sources.push(new JaegerSource({ ...jaeger, url: jaeger.url }, red, clock, ingestMetrics, logger));
  for (const s of sources) {
    s.start(store.sinkFor(s.name));
    stack.push({ name: `source-${s.name}`, stop: () => s.stop() });
  }

  const limits = { maxBodyBytes: config.server.maxBodyBytes, maxDecodedBytes: config.server.maxDecodedBytes };
  const otlpTraces = config.ingest.otlp.enabled ? createOtlpTracesHandler({ consumer: red, metrics, ...limits, maxInFlight: config.ingest.otlp.maxInFlight, logger }) : undefined;
  if (otlpTraces && config.ingest.otlp.port !== undefined) {
    const otlpApp = express();
    otlpApp.post('/v1/traces', otlpTraces);
    const server = createServer(otlpApp);
    await listen(server, config.ingest.otlp.port, config.server.host);
    stack.push({ name: 'otlp-http', stop: () => closeServer(server) });
    logger.info({ port: config.ingest.otlp.port }, 'OTLP/HTTP traces receiver listening');
  }
  const am = config.ingest.alertmanager;
  const alertmanager = am.token
    ? createAlertmanagerHandler({ token: am.token, onAlerts: deps.onAlerts, clock, metrics, maxBodyBytes: config.server.maxBodyBytes, dedupTtlMs: am.dedupTtlMs, logger })
    : undefined;

  return {
    remoteWrite: createRemoteWriteHandler({ sink: store, metrics, ...limits, logger }),
    otlpTraces,
    alertmanager,
    series: createSeriesHandler(store),
    readiness: sources.map((s) => ({
      name: `source_${s.name}`,
      check: async () => {
        const h = s.health();
        if (!h.up) throw new Error(h.lastError ?? 'no successful poll yet');
      },
    })),
  };
}
