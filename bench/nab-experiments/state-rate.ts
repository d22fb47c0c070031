import { SeriesState } from '../../src/detect/ensemble.js';
import { RAW_STRIDE, RAW_VALUE } from '../../src/detect/features.js';
const n = 200000; const raw = new Float64Array(n * RAW_STRIDE);
for (let i = 0; i < n; i++) { raw[i * RAW_STRIDE] = Math.sin(i) ; raw[i * RAW_STRIDE + RAW_VALUE] = 10 + Math.sin(i / 7) + (i % 13) / 50; }
const s = SeriesState.build(['model']); const out = { score: 0, component: '' };
const t0 = performance.now(); for (let i = 0; i < n; i++) s.update(raw, i, out, i * 300_000);
console.log('state updates/s', Math.round(n / ((performance.now() - t0) / 1000)), 'bytes', s.bytes);
