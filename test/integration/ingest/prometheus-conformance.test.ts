import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { parse } from 'yaml';
import { createRemoteWriteHandler } from '../../../src/ingest/remote-write/index.js';
import { PrometheusQuerySource, type PromQueryConfig } from '../../../src/ingest/prometheus/index.js';
import { createSeriesHandler } from '../../../src/series/selectors.js';
import { SeriesStore } from '../../../src/series/store.js';
import { systemClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';
import type { Sample } from '../../../src/domain/types.js';
import { seriesKey } from '../../../src/domain/labels.js';
import { listen, waitFor, type Listening } from './listen.js';
import { docSnippet } from './snippets.js';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const available = existsSync(PROMETHEUS) && spawnSync(PROMETHEUS, ['--version']).status === 0;

interface Replica {
  store: SeriesStore;
  srv: Listening;
}

async function replica(): Promise<Replica> {
  const store = new SeriesStore({ windowPoints: 1000, maxSeries: 10_000, staleAfterMs: 600_000 }, systemClock, createTestMetrics());
  const app = express();
  app.set('query parser', 'extended');
  app.post('/api/v1/write', createRemoteWriteHandler({ sink: store, metrics: createTestMetrics(), maxBodyBytes: 16 << 20, maxDecodedBytes: 64 << 20 }));
  app.get('/api/v1/series', createSeriesHandler(store));
  return { store, srv: await listen(app) };
}

async function freePort(): Promise<number> {
  const l = await listen(() => undefined);
  const p = l.port;
  await l.close();
  return p;
}

describe.skipIf(!available)('real Prometheus 2.42: remote_write and query API deliver the same samples', () => {
  let prom: ChildProcess | undefined;
  let dir = '';
  let target: Listening;
  let r0: Replica;
  let r1: Replica;
  let promUrl = '';
  let scrapes = 0;
  let promLog = '';

  beforeAll(async () => {
    // The scrape target: a gauge that changes on every scrape, and series to shard. The docs' shard key is
    // [__name__, job, instance], so all series of one metric name go to one replica: with only the gauge and
    // Prometheus's 5 scrape_*/up names, all 6 names landed on one replica in about 1 run in 32 (the hash
    // includes the random port). 20 more names make that 2 in 2^26.
    target = await listen((_req, res) => {
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      const lines = ['# TYPE aiopsd_test_gauge gauge', `aiopsd_test_gauge{kind="main"} ${scrapes * 1.5}`];
      for (let i = 0; i < 20; i++) lines.push(`aiopsd_test_gauge{kind="shard${i}"} ${i + scrapes}`);
      for (let i = 0; i < 20; i++) lines.push(`# TYPE aiopsd_test_spread_${i} gauge`, `aiopsd_test_spread_${i} ${i}`);
      res.end(lines.join('\n') + '\n');
    });
    r0 = await replica();
    r1 = await replica();
    dir = mkdtempSync(path.join(tmpdir(), 'aiopsd-prom-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    // The remote_write section is the one docs/INGEST.md shows, pointed at the two test replicas.
    const rw = docSnippet('prometheus-remote-write').replaceAll('http://aiopsd-0:8080', r0.srv.url).replaceAll('http://aiopsd-1:8080', r1.srv.url);
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: aiopsd-test',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${target.port}']`,
      rw,
    ].join('\n');
    writeFileSync(path.join(dir, 'prometheus.yml'), config);
    expect(spawnSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')]).status).toBe(0);
    prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    prom.stderr!.on('data', (c: Buffer) => (promLog = (promLog + c.toString()).slice(-4000)));
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok, 30_000, `Prometheus ready (${promLog})`);
  }, 60_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM');
      await new Promise((r) => prom!.once('exit', r));
    }
    await target?.close();
    await r0?.srv.close();
    await r1?.srv.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hashmod sharding from the docs: every series on exactly one replica; query_range agrees with remote_write', async () => {
    const main = seriesKey({ __name__: 'aiopsd_test_gauge', instance: `127.0.0.1:${target.port}`, job: 'aiopsd-test', kind: 'main' });
    const holder = () => [r0, r1].find((r) => (r.store.get(main)?.points ?? 0) >= 8);
    const rep = await waitFor(holder, 40_000, 'eight remote-written samples of the main gauge').catch((err: Error) => {
      throw new Error(`${err.message}; replicas hold ${r0.store.size}/${r1.store.size} series (${[...r0.store.all(), ...r1.store.all()].slice(0, 3).map((v) => v.key).join(' ')}); scrapes ${scrapes}; prometheus: ${promLog}`);
    });

    // Each replica's remote_write queue flushes on its own schedule: wait until both have received theirs.
    const gaugeCount = (): number => [...r0.store.all(), ...r1.store.all()].filter((v) => v.key.startsWith('aiopsd_test_gauge{')).length;
    await waitFor(() => r0.store.size > 0 && r1.store.size > 0 && gaugeCount() > 15, 40_000, 'series on both replicas').catch((err: Error) => {
      // say which replica is short, so a rare failure on a loaded machine can be told from a sharding bug
      throw new Error(`${err.message}; replicas hold ${r0.store.size}/${r1.store.size} series, ${gaugeCount()} gauges; scrapes ${scrapes}; prometheus: ${promLog}`);
    });

    // Sharding: the series (21 gauge series, 20 spread names, up and scrape_*) are split, none on both replicas.
    const keys0 = new Set([...r0.store.all()].map((v) => v.key));
    const keys1 = new Set([...r1.store.all()].map((v) => v.key));
    expect([...keys0].filter((k) => keys1.has(k))).toEqual([]);
    expect(keys0.size).toBeGreaterThan(0);
    expect(keys1.size).toBeGreaterThan(0);
    const gauges = [...keys0, ...keys1].filter((k) => k.startsWith('aiopsd_test_gauge{'));
    expect(gauges.length).toBeGreaterThan(15);

    // GET /api/v1/series on the holder sees it.
    const listed = await (await fetch(`${rep.srv.url}/api/v1/series?match[]=${encodeURIComponent('aiopsd_test_gauge{kind="main"}')}`)).json() as { data: Array<{ key: string; points: number }> };
    expect(listed.data.map((d) => d.key)).toEqual([main]);

    // The query API source, configured as docs/INGEST.md shows, polls the same Prometheus.
    const sourceCfg = parse(docSnippet('aiopsd-prometheus-source')) as { ingest: { prometheus: { queries: PromQueryConfig[] } } };
    const q = sourceCfg.ingest.prometheus.queries.find((x) => x.name === 'aiopsd_test_gauge')!;
    const pulled: Sample[] = [];
    const src = new PrometheusQuerySource({ url: promUrl, lookbackMs: 60_000, queries: [{ ...q, query: `${q.query}{kind="main"}` }] }, systemClock);
    await src.pollAll({ append: (s) => (pulled.push(...s), { accepted: s.length, refused: 0, duplicate: 0 }) });
    expect(src.health().up).toBe(true);

    // query_range at step-aligned t returns the newest sample at or before t (within the 5 min
    // lookback): compare each pulled point with the remote-written sample it must be.
    const { values, timestamps } = rep.store.window(main);
    let compared = 0;
    for (const p of pulled) {
      expect(seriesKey(p.labels)).toBe(main);
      let j = -1;
      for (let i = 0; i < timestamps.length; i++) if (timestamps[i]! <= p.timestampMs) j = i;
      if (j < 0 || p.timestampMs > timestamps[timestamps.length - 1]!) continue; // outside what remote_write has delivered
      expect(p.value).toBe(values[j]);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(5);
    // The remote-written values are the exact scrape values (1.5 × scrape number): nothing rounded.
    for (const v of values) expect(Number.isInteger(v / 1.5)).toBe(true);
  }, 60_000);

  it('is down while Prometheus is unreachable', async () => {
    const src = new PrometheusQuerySource({ url: 'http://127.0.0.1:1', queries: [{ name: 'x', query: 'up', stepMs: 1000, intervalMs: 1000 }] }, systemClock);
    await expect(src.pollAll({ append: () => ({ accepted: 0, refused: 0, duplicate: 0 }) })).rejects.toThrow();
    expect(src.health().up).toBe(false);
  });
});
