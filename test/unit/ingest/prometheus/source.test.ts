import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { PrometheusQuerySource, matrixToSamples, parsePromValue } from '../../../../src/ingest/prometheus/index.js';
import { backoffDelay, createIngestMetrics } from '../../../../src/ingest/source.js';
import { ManualClock } from '../../../../src/lib/clock.js';
import type { Sample } from '../../../../src/domain/types.js';
import { listen, type Listening } from '../../../integration/ingest/listen.js';

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sink = () => {
  const got: Sample[] = [];
  return { got, append: (s: readonly Sample[]) => (got.push(...s), { accepted: s.length, refused: 0, duplicate: 0 }) };
};

describe('Prometheus query API source', () => {
  it('parses Prometheus value strings', () => {
    expect(parsePromValue('+Inf')).toBe(Infinity);
    expect(parsePromValue('-Inf')).toBe(-Infinity);
    expect(parsePromValue('NaN')).toBeNaN();
    expect(parsePromValue('1.5e3')).toBe(1500);
  });

  it('converts a matrix, naming results without __name__', () => {
    const s = matrixToSamples([{ metric: { job: 'a' }, values: [[1704067200.5, '2'], [1704067201, 'NaN']] }], 'my_rate');
    expect(s[0]).toEqual({ labels: { job: 'a', __name__: 'my_rate' }, timestampMs: 1704067200500, value: 2 });
    expect(s[1]!.value).toBeNaN();
  });

  it('polls query_range step-aligned, continues where it stopped, caps at 11,000 points', async () => {
    const calls: URLSearchParams[] = [];
    server = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const p = new URLSearchParams(body);
        calls.push(p);
        const start = Number(p.get('start'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', job: 'x' }, values: [[start, '1']] }] } }));
      });
    });
    const clock = new ManualClock(1_704_067_200_000 + 7_500);
    const src = new PrometheusQuerySource({ url: server.url, lookbackMs: 365 * 86_400_000, queries: [{ name: 'up', query: 'up', stepMs: 15_000, intervalMs: 15_000 }] }, clock);
    const s = sink();
    expect(await src.pollAll(s)).toBe(1);
    const end = Number(calls[0]!.get('end'));
    expect(end).toBe(1_704_067_200);
    expect((end - Number(calls[0]!.get('start'))) / 15 + 1).toBe(11_000);
    clock.advance(30_000);
    await src.pollAll(s);
    expect(Number(calls[1]!.get('start'))).toBe(end + 15);
    expect(s.got[1]!.timestampMs).toBe((end + 15) * 1000);
  });

  it('marks the source down on errors (aiopsd_source_up 0), up again on success', async () => {
    let fail = true;
    server = await listen((_req, res) => {
      if (fail) {
        res.writeHead(422, { 'content-type': 'application/json' });
        res.end('{"status":"error","errorType":"execution","error":"boom"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"success","data":{"resultType":"matrix","result":[]}}');
      }
    });
    const registry = new Registry();
    const metrics = createIngestMetrics(registry);
    const clock = new ManualClock(1_704_067_200_000);
    const src = new PrometheusQuerySource({ url: server.url, queries: [{ name: 'q', query: 'up', stepMs: 1000, intervalMs: 1000 }] }, clock, metrics, undefined, 'prom-main');
    await expect(src.pollAll(sink())).rejects.toThrow(/boom/);
    expect(src.health()).toMatchObject({ up: false, failures: 1 });
    expect(await registry.metrics()).toMatch(/aiopsd_source_up\{source="prom-main"\} 0/);
    fail = false;
    await src.pollAll(sink());
    expect(src.health()).toMatchObject({ up: true, lastError: undefined, lastSuccessAt: 1_704_067_200_000 });
    expect(await registry.metrics()).toMatch(/aiopsd_source_up\{source="prom-main"\} 1/);
  });

  it('retries with exponential backoff and jitter', () => {
    const o = { baseMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(1, o, () => 0)).toBe(500);
    expect(backoffDelay(1, o, () => 1)).toBe(1000);
    expect(backoffDelay(4, o, () => 1)).toBe(8000);
    expect(backoffDelay(50, o, () => 1)).toBe(60_000);
  });

  it('start/stop polls on its own timer and backs off while down', async () => {
    let n = 0;
    server = await listen((_req, res) => {
      n++;
      res.writeHead(503);
      res.end('down');
    });
    const src = new PrometheusQuerySource({ url: server.url, queries: [{ name: 'q', query: 'up', stepMs: 1000, intervalMs: 50 }], backoff: { baseMs: 400, maxMs: 400 } }, { nowMs: () => Date.now() });
    src.start(sink());
    await new Promise((r) => setTimeout(r, 500));
    await src.stop();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(3); // not every 50 ms: it backs off
    expect(src.health().up).toBe(false);
  });
});
