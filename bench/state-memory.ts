/**
 * Bytes per series of the detector's per-series state (SeriesState, model component only), measured in
 * its own process: N states, each fed P points an hour apart (residual and value columns of a raw batch),
 * then a full GC. Prints JSON: RSS and heapUsed + external deltas per series, and SeriesState.bytes; then
 * the update rate as the daemon feeds states (each round one point to every series in turn, 8 rounds).
 * States are created as the daemon does (EnsembleDetector.createState: slots of shared slabs), or with
 * `own` each over a buffer of its own (SeriesState built directly).
 * Usage: node --expose-gc --import tsx bench/state-memory.ts [N=100000] [P=64] [slab|own]
 */
import { EnsembleDetector, SeriesState } from '../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../src/detect/features.js';
import { collectedMemoryUsage } from './lib/memory-usage.js';

const n = Number(process.argv[2] ?? 100_000);
const points = Number(process.argv[3] ?? 64);
const mode = process.argv[4] ?? 'slab';
if (mode !== 'slab' && mode !== 'own') throw new Error(`state-memory: the third argument is slab or own, not ${mode}`);
const detector = new EnsembleDetector(null, { components: ['model'] });

const usage = collectedMemoryUsage;

/** One shared raw batch: a noisy daily sine (value) and its noise (residual), deterministic. */
function rawBatch(): Float64Array {
  const raw = new Float64Array(points * RAW_STRIDE);
  let seed = 12345;
  for (let p = 0; p < points; p++) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    const noise = seed / 2 ** 32 - 0.5;
    raw[p * RAW_STRIDE] = noise;
    raw[p * RAW_STRIDE + RAW_VALUE] = 100 + 20 * Math.sin((2 * Math.PI * p) / 24) + noise;
  }
  return raw;
}

const raw = rawBatch();
const out = { score: 0, component: 'model' };
const states: SeriesState[] = new Array<SeriesState>(n);
const t0 = 1_700_000_000_000;
const before = usage();
for (let i = 0; i < n; i++) {
  const s = mode === 'own' ? SeriesState.build(['model']) : detector.createState();
  for (let p = 0; p < points; p++) s.update(raw, p, out, t0 + p * 3_600_000);
  states[i] = s;
}
const after = usage();
const per = (d: number) => Math.round((d / n) * 10) / 10;
// the daemon's pattern: every detection cycle gives each series its next point, so states are visited in turn
const rounds = 8;
const updateStart = performance.now();
for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) states[i]!.update(raw, r % points, out, t0 + (points + r) * 3_600_000);
const updatesPerSecond = Math.round((rounds * n) / ((performance.now() - updateStart) / 1000));
console.log(
  JSON.stringify({
    series: n,
    points,
    mode,
    rssPerSeries: per(after.rss - before.rss),
    heapPlusExternalPerSeries: per(after.heap + after.external - before.heap - before.external),
    heapPerSeries: per(after.heap - before.heap),
    externalPerSeries: per(after.external - before.external),
    stateBytes: states[0]!.bytes,
    updatesPerSecond,
  }),
);
