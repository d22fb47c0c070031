import { configSchema } from '../../src/config/schema.js';
import { createDetectorAsync } from '../../src/detect/registry.js';
import { runOffline } from './offline.js';
import { quantile } from './stats.js';
const th = Number(process.argv[2] ?? 0.98);
const config = configSchema.parse({ detect: { threshold: th } });
const { detector } = await createDetectorAsync(config.detect);
const by: Record<string, number[]> = {}; const metricBy: Record<string, Record<string, number>> = {};
for (let seed = 1; seed <= 60; seed++) {
  const r = runOffline({ seed, faults: 20, scrapeS: 15, startupS: 10, deliveryS: 1.5 }, detector, config);
  for (const f of r.faults) { (by[f.kind] ??= []).push(f.latencyS ?? 999); const mb = (metricBy[f.kind] ??= {}); mb[f.metric ?? 'none'] = (mb[f.metric ?? 'none'] ?? 0) + 1; }
}
for (const [k, l] of Object.entries(by)) console.log(k, 'n', l.length, 'p50', quantile(l, 0.5), 'p90', quantile(l, 0.9), 'p95', quantile(l, 0.95), 'max', Math.max(...l), JSON.stringify(metricBy[k]));
const hist: Record<string, number[]> = {};
for (const [k, l] of Object.entries(by)) { const h = new Array(8).fill(0); for (const x of l) h[Math.min(7, Math.floor(x / 7.5))]++; console.log(k, 'hist 7.5s bins', h.join(' ')); }
