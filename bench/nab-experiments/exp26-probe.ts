/** Experiment 26 probe: which term fires at false rows vs first true detections (scratch). */
import { corpus, e4, exc, profile, terms } from './exp26-profile.js';
const thr = 0.475;
const agg = { fp: [0, 0, 0, 0], tp: [0, 0, 0, 0] };
for (const c of corpus) {
  const t = terms(c, profile(48, 3)(c));
  const p = exc(t.x.map((_x, i) => e4(t, i)));
  const prob = Math.min(Math.floor(0.15 * c.values.length), 750);
  const first = new Set<number>();
  for (const [L, R] of c.windows) for (let i = Math.max(L, prob); i <= R; i++) if (p[i]! >= thr) { first.add(i); break; }
  for (let i = prob; i < p.length; i++) {
    if (p[i]! < thr) continue;
    const inWin = c.windows.some(([L, R]) => i >= L && i <= R);
    if (inWin && !first.has(i)) continue;
    const parts = [t.v[i]!, (1 - t.st[i]!) * t.e[i]!, 0.5 * t.st[i]! * t.sn[i]!];
    const k = parts.indexOf(Math.max(...parts));
    (inWin ? agg.tp : agg.fp)[k]!++;
    if (!inWin) console.log(c.key.slice(0, 40).padEnd(40), i, 'p', p[i]!.toFixed(2), 'v', parts[0]!.toFixed(2), 'e', parts[1]!.toFixed(2), 's', parts[2]!.toFixed(2), 'st', t.st[i]!.toFixed(2), 'x', c.values[i], 'prev', c.values[i - 1]);
  }
}
console.log('dominant term (v, e, s) at FP rows', agg.fp, 'at first TP rows', agg.tp);
