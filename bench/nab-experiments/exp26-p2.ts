/** Experiment 26: low-FP variants on top of the day profile with paired strength (scratch sweep). */
import { exc, profile, score, type Terms } from './exp26-profile.js';
import { corpus } from './exp26-profile.js';
import { run } from './harness.js';
import { terms } from './exp26-profile.js';
const o = { paired: true };
const parts = (t: Terms, i: number): [number, number, number] => [t.v[i]!, (1 - t.st[i]!) * t.e[i]!, 0.5 * t.st[i]! * t.sn[i]!];
for (const b of [24, 48]) {
  const p = profile(b, 3);
  const T = new Map(corpus.map((c) => [c.key, terms(c, p(c), o)]));
  const go = (name: string, f: (t: Terms, i: number) => number, h = 15): void => { run(corpus, `p${b} ${name}`, (_v, k) => { const t = T.get(k)!; return exc(t.x.map((_x, i) => f(t, i)), h); }); };
  go('sum', (t, i) => parts(t, i).reduce((a, c) => a + c, 0));
  for (const h of [10, 20, 30]) go(`sum h${h}`, (t, i) => parts(t, i).reduce((a, c) => a + c, 0), h);
  go('L2', (t, i) => Math.hypot(...parts(t, i)));
  go('max', (t, i) => Math.max(...parts(t, i)));
  go('2st-1', (t, i) => t.v[i]! + (1 - t.st[i]!) * t.e[i]! + 0.5 * Math.max(0, 2 * t.st[i]! - 1) * t.sn[i]!);
  for (const w of [0.25, 0.75, 1]) go(`seasonWeight ${w}`, (t, i) => t.v[i]! + (1 - t.st[i]!) * t.e[i]! + w * t.st[i]! * t.sn[i]!);
}
// strength pairing and the tail-aware scales (exp26-nov.ts), on the ensemble-4 strength and with pairing
for (const b of [24, 48]) {
  const p = profile(b, 3);
  score(`p${b}d3 ensemble-4 strength`, p);
  score(`p${b}d3 paired strength`, p, undefined, { paired: true });
  score(`p${b}d3 strength after 1 day of diffs`, p, undefined, { minDays: 1 });
  for (const k of [0.5, 1]) score(`p${b}d3 gap k${k}`, p, undefined, { mode: 'gap', k });
  for (const k of [0.5, 1, 2]) score(`p${b}d3 rec k${k}`, p, undefined, { mode: 'rec', k });
}
