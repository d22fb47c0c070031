/**
 * Trace of one recorded series of the offline replay through the model component, term by term:
 *   npx tsx bench/latency/offline-trace.ts --seed 7 --service svc-c [--metric svc:latency_p99:rate1m] [--from 400] [--to 700]
 *                                          [--model DIR]   (another forecaster than the shipped one)
 * Prints per point: time (s from t0), value, forecast, value novelty, residual novelty, raw score, the
 * calibration's recent maximum and the score (the detector's own SeriesState, fed the same raw rows).
 * The terms mirror series-state.ts (start-up not learned, level-relative floor); the seasonal term is left out
 * (no earlier day in a replay), so `score` is the authority.
 */
import { configSchema } from '../../src/config/schema.js';
import { createDetectorAsync } from '../../src/detect/registry.js';
import { EnsembleDetector, FLOOR_POINTS, LEARN_DELAY_POINTS, LEVEL_FLOOR, STARTUP_MAX_POINTS } from '../../src/detect/ensemble.js';
import { IntervalNovelty } from '../../src/detect/novelty.js';
import { RAW_STRIDE } from '../../src/detect/features.js';
import { runOffline } from './offline.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (k: string, d: string): string => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1]! : d;
  };
  const seed = Number(get('--seed', '7'));
  const service = get('--service', 'svc-c');
  const metric = get('--metric', 'svc:latency_p99:rate1m');
  const from = Number(get('--from', '-1e9'));
  const to = Number(get('--to', '1e9'));
  const scrapeS = Number(get('--scrape', '15'));
  const modelDir = argv.includes('--model') ? get('--model', '') : undefined;
  const config = configSchema.parse(modelDir ? { detect: { ensemble: { modelDir } } } : {});
  const { detector } = await createDetectorAsync(config.detect);
  const det = detector as EnsembleDetector;
  const r = runOffline({ seed, faults: scrapeS >= 15 ? 20 : 6, scrapeS, startupS: 10, deliveryS: 1.5 }, detector, config);
  const pts = r.recorded.get(metric)!.get(service)!;
  const values = Float64Array.from(pts.map((p) => p[1]));
  const windows = pts.map((_, i) => values.subarray(Math.max(0, i + 1 - det.windowPoints), i + 1));
  const batch = det.raw(windows);
  const state = det.createState();
  const vn = new IntervalNovelty(16, LEARN_DELAY_POINTS);
  const rn = new IntervalNovelty(16, LEARN_DELAY_POINTS);
  const ring: number[] = [];
  const res = { score: 0, component: '' };
  let settling = true;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < pts.length; i++) {
    const [t, x] = pts[i]!;
    const resid = batch.raw[i * RAW_STRIDE]!;
    let v = 0;
    let rr = 0;
    let startup = false;
    if (settling) {
      startup = (x > hi || x < lo) && i + 1 <= STARTUP_MAX_POINTS;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      settling = startup;
    }
    if (!startup) {
      const floor = LEVEL_FLOOR * Math.abs(vn.average) * Math.sqrt(FLOOR_POINTS / (vn.count + FLOOR_POINTS));
      v = vn.update(x, floor);
      rr = rn.update(resid, floor);
    }
    const raw = v + rr;
    const mx = ring.length >= 10 ? Math.max(0, ...ring) : NaN;
    ring.push(raw);
    if (ring.length > 15) ring.shift();
    state.update(batch.raw, i, res, Date.UTC(2026, 10, 22, 19) + t);
    if (t / 1000 >= from && t / 1000 <= to) {
      process.stdout.write(`${i.toString().padStart(3)} t=${(t / 1000).toFixed(1).padStart(7)} x=${x.toFixed(4)} f=${batch.expected[i]!.toFixed(4)} vNov=${v.toFixed(3)} rNov=${rr.toFixed(3)} raw=${raw.toFixed(3)} max15=${mx.toFixed(3)} score=${res.score.toFixed(3)} sd=${Math.sqrt(vn.variance).toFixed(4)}\n`);
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
