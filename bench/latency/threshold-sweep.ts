/**
 * Sweep of the daemon's detect.threshold over the offline replay (offline.ts), at 15 s and 5 s scrapes:
 * false triggers / missed faults / pooled p50, p95 / median of the runs' p95 per threshold. How the
 * ensemble-7 threshold (0.95) was chosen (models/MODEL_CARD.md).
 *
 *   npx tsx bench/latency/threshold-sweep.ts [SEEDS=1..30] [THRESHOLDS=0.9,0.95,0.97,0.98]
 */
import { configSchema } from '../../src/config/schema.js';
import { createDetectorAsync } from '../../src/detect/registry.js';
import { runOffline } from './offline.js';
import { quantile } from './stats.js';
const [lo, hi] = (process.argv[2] ?? '1..30').split('..').map(Number) as [number, number];
if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) throw new Error(`seeds must be FROM..TO, got ${process.argv[2]}`);
const ths = (process.argv[3] ?? '0.9,0.95,0.97,0.98').split(',').map(Number);
if (ths.some((t) => !(t >= 0 && t <= 1))) throw new Error(`thresholds must be numbers in 0..1, got ${process.argv[3]}`);
const out: string[] = [];
for (const th of ths) {
  const config = configSchema.parse({ detect: { threshold: th } });
  const { detector } = await createDetectorAsync(config.detect);
  const row: string[] = [`th ${th}`];
  for (const scrape of [15, 5]) {
    let miss = 0, fals = 0; const lat: number[] = []; const p95s: number[] = [];
    for (let seed = lo; seed <= hi; seed++) {
      const r = runOffline({ seed, faults: scrape === 5 ? 6 : 20, scrapeS: scrape, startupS: 10, deliveryS: 1.5 }, detector, config);
      miss += r.missed; fals += r.falseTriggers.length; for (const f of r.faults) if (f.latencyS !== null) lat.push(f.latencyS);
      if (r.p95S !== null) p95s.push(r.p95S);
    }
    row.push(`${scrape}s ${fals}f/${miss}m p50 ${quantile(lat, 0.5)} p95 ${quantile(lat, 0.95)} medRunP95 ${quantile(p95s, 0.5)}`);
  }
  out.push(row.join(' | '));
}
console.log(`seeds ${lo}..${hi}\n` + out.join('\n'));
