/**
 * Bytes per active series in the SeriesStore, measured in its own process (run with --expose-gc):
 * N series with P points each (4 labels: __name__ of 100 names, job of 20, instance, a unique pod),
 * timestamps every 15 s. Values, by kind:
 *  - int: integer gauge stepping by 1 (the best case: 1 bit a value);
 *  - counter: a request counter at 40–85 req/s (a slow per-series swing) with Poisson-sized noise per
 *    15 s scrape (±√count, about ±30);
 *  - decimal: a gauge with two decimals (CPU %, a ratio rounded by its exporter), sine plus jitter;
 *  - random: uniformly random doubles (the worst case: no compression possible).
 * The store holds its own copies of keys and labels (interned), so the batches' objects are garbage once
 * appended. Prints JSON: heap, external (typed-array pages) and RSS deltas per series, and the chunk bytes.
 * Usage: node --expose-gc --import tsx bench/ingest/memory.ts N P [int|counter|decimal|random]
 */
import { SeriesStore } from '../../src/series/store.js';
import type { Labels } from '../../src/domain/types.js';
import { seriesKey } from '../../src/domain/labels.js';
import { systemClock } from '../../src/lib/clock.js';
import { createTestMetrics } from '../../src/telemetry/metrics.js';
import { collectedMemoryUsage } from '../lib/memory-usage.js';

const n = Number(process.argv[2] ?? 1_000_000);
const points = Number(process.argv[3] ?? 1);
const valuesKind = process.argv[4] ?? 'int';

const usage = collectedMemoryUsage;

const before = usage();
const start = process.hrtime.bigint();
const store = new SeriesStore({ windowPoints: 240, maxSeries: n + 1, staleAfterMs: 3_600_000_000 }, systemClock, createTestMetrics());
const t0 = 1_700_000_000_000;
const labelsOf = (i: number) => ({ __name__: `metric_${i % 100}`, job: `job-${i % 20}`, instance: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9100`, pod: `pod-${i}` });
const jitter = (i: number, p: number) => ((i * 7919 + p * 104_729) % 46) / 45; // deterministic 0..1
function valueOf(i: number, p: number, previous: number): number {
  switch (valuesKind) {
    case 'int': return (i + p) % 1000;
    case 'counter': return p === 0 ? i * 1000 : previous + requestsIn(i, p);
    case 'decimal': return Math.round(100 * (50 + 20 * Math.sin((p + i) / 40) + 5 * jitter(i, p))) / 100;
    case 'random': return Math.random() * 100;
    default: throw new Error(`values kind must be int, counter, decimal or random, not ${valuesKind}`);
  }
}
/** Requests in scrape `p`: rate × 15 s plus noise of about √count (Poisson), rounded; the counter sums them. */
function requestsIn(i: number, p: number): number {
  const perScrape = 15 * (62.5 + 22.5 * Math.sin((i + p) / 60));
  return Math.round(perScrape + Math.sqrt(perScrape) * (2 * jitter(i, p) - 1) * 1.7);
}
// 1,000 series per appendSeries call, each with all its points (timestamps every 15 s).
const CHUNK = 1000;
for (let first = 0; first < n; first += CHUNK) {
  const count = Math.min(CHUNK, n - first);
  const keys: string[] = [];
  const labels: Labels[] = [];
  const offsets = [0];
  const timestamps = new Float64Array(count * points);
  const values = new Float64Array(count * points);
  for (let s = 0; s < count; s++) {
    const i = first + s;
    const l = labelsOf(i);
    keys.push(seriesKey(l));
    labels.push(l);
    for (let p = 0; p < points; p++) {
      timestamps[s * points + p] = t0 + p * 15_000;
      values[s * points + p] = valueOf(i, p, p === 0 ? 0 : (values[s * points + p - 1] as number));
    }
    offsets.push((s + 1) * points);
  }
  store.appendSeries({ count, keys, labels, offsets, timestamps, values, stale: new Uint8Array(count * points) });
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
if (store.size !== n) throw new Error(`store holds ${store.size} series, expected ${n}`);
const after = usage();
const per = (k: 'heap' | 'external' | 'rss') => Math.round((after[k] - before[k]) / n);
process.stdout.write(`${JSON.stringify({
  series: n, pointsPerSeries: points, values: valuesKind,
  bytesPerSeries: { heap: per('heap'), external: per('external'), total: per('heap') + per('external'), rss: per('rss') },
  chunkBytesPerSeries: Math.round(store.windowStats().chunkBytes / n),
  rssMiB: Math.round(after.rss / 2 ** 20), heapMiB: Math.round(after.heap / 2 ** 20), appendSeconds: Number(seconds.toFixed(1)),
})}\n`);
