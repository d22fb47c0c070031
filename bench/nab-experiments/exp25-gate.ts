/**
 * Experiment 25: the angles left open by ensemble-3 (per-term calibration, agreement gates, a minimum-
 * evidence scale floor, re-fire suppression) and the one that worked: the residual novelty weighted by
 * 1 − seasonality strength (ensemble-4). `npx tsx bench/nab-experiments/exp25-gate.ts` (after exp6-base.ts).
 */
import { corpus, exc, excRaw, R, type Rows } from './exp25-terms.js';
import { run } from './harness.js';

const P = (ex: Float64Array): Float64Array => ex.map((x) => 1 - Math.exp(-x));
const mk = (name: string, f: (r: Rows, i: number) => number, h = 15): void => {
  run(corpus, name, (_v, k) => { const r = R.get(k)!; return exc(r.v.map((_x, i) => f(r, i)), h); });
};
const e3 = (r: Rows, i: number): number => r.v[i]! + r.e[i]! + 0.5 * r.st[i]! * r.sn[i]!;
const e4 = (r: Rows, i: number): number => r.v[i]! + (1 - r.st[i]!) * r.e[i]! + 0.5 * r.st[i]! * r.sn[i]!;
mk('ensemble-3: v + e + 0.5·st·sn', e3);
mk('ensemble-4: v + (1−st)·e + 0.5·st·sn', e4);

console.log('-- per-term calibration (each term over its own recent max), then combined');
const terms = (r: Rows): Float64Array[] => [excRaw(r.v), excRaw(r.e), excRaw(r.sn.map((s, i) => 0.5 * r.st[i]! * s))];
run(corpus, 'per-term excess, max', (_v, k) => { const [a, b, c] = terms(R.get(k)!); return P(a!.map((x, i) => Math.max(x, b![i]!, c![i]!))); });
run(corpus, 'per-term excess, noisy-OR', (_v, k) => { const [a, b, c] = terms(R.get(k)!); return P(a!.map((x, i) => x + b![i]! + c![i]!)); });

console.log('-- agreement: the value term must be novel for the others to count');
for (const g of [0, 0.5]) mk(`e,s × ${g} unless v>0`, (r, i) => r.v[i]! + (r.v[i]! > 0 ? 1 : g) * (r.e[i]! + 0.5 * r.st[i]! * r.sn[i]!));
for (const g of [0, 0.5]) mk(`e × ${g} unless v>0 or s>0`, (r, i) => r.v[i]! + (r.v[i]! > 0 || r.st[i]! * r.sn[i]! > 0 ? 1 : g) * r.e[i]! + 0.5 * r.st[i]! * r.sn[i]!);

console.log('-- residual gated by the season (ensemble-4 family)');
mk('e·(1−st·[sn=0])', (r, i) => r.v[i]! + r.e[i]! * (r.sn[i] === 0 ? 1 - r.st[i]! : 1) + 0.5 * r.st[i]! * r.sn[i]!);
mk('e·(1−st·exp(−sn))', (r, i) => r.v[i]! + r.e[i]! * (1 - r.st[i]! * Math.exp(-r.sn[i]!)) + 0.5 * r.st[i]! * r.sn[i]!);
mk('(v+e)·(1−st) + 0.5·st·sn', (r, i) => (1 - r.st[i]!) * (r.v[i]! + r.e[i]!) + 0.5 * r.st[i]! * r.sn[i]!);
for (const a of [0.5, 0.75, 0.9]) mk(`v + (1−${a}·st)·e + 0.5·st·sn`, (r, i) => r.v[i]! + (1 - a * r.st[i]!) * r.e[i]! + 0.5 * r.st[i]! * r.sn[i]!);
for (const k of [0.5, 2]) mk(`v + (1−st^${k})·e + 0.5·st·sn`, (r, i) => r.v[i]! + (1 - r.st[i]! ** k) * r.e[i]! + 0.5 * r.st[i]! * r.sn[i]!);
for (const w of [0.25, 0.75, 1]) mk(`v + (1−st)·e + ${w}·st·sn`, (r, i) => r.v[i]! + (1 - r.st[i]!) * r.e[i]! + w * r.st[i]! * r.sn[i]!);
for (const h of [10, 20, 30]) mk(`ensemble-4, history ${h}`, e4, h);
mk('ensemble-4, seasonal term only when st > 0.5 (2·st − 1)', (r, i) => r.v[i]! + (1 - r.st[i]!) * r.e[i]! + 0.5 * Math.max(0, 2 * r.st[i]! - 1) * r.sn[i]!);

console.log('-- minimum-evidence scale floor: distance / max(running std, b · running mean |Δx|) (ensemble-4 terms)');
const mad1 = (x: Float64Array): Float64Array => { const o = new Float64Array(x.length); let s = 0; for (let i = 1; i < x.length; i++) { o[i] = i > 1 ? s / (i - 1) : 0; s += Math.abs(x[i]! - x[i - 1]!); } return o; };
const floored = (k: string, b: number): Float64Array => {
  const r = R.get(k)!; const L = mad1(r.x);
  const d = (dist: number, sd: number, i: number): number => (sd > 0 ? dist / Math.max(sd, b * L[i]!) : 0);
  return r.v.map((_x, i) => d(r.vd[i]!, r.vsd[i]!, i) + (1 - r.st[i]!) * d(r.ed[i]!, r.esd[i]!, i) + 0.5 * r.st[i]! * d(r.sdd[i]!, r.ssd[i]!, i));
};
for (const b of [0.5, 0.75, 1, 1.5, 2]) run(corpus, `floor b=${b}`, (_v, k) => exc(floored(k, b)));
const level = (x: Float64Array): Float64Array => { const o = new Float64Array(x.length); let m = 0; for (let i = 0; i < x.length; i++) { o[i] = Math.abs(m); m += (x[i]! - m) / (i + 1); } return o; };
for (const a of [0.01, 0.03, 0.1]) run(corpus, `floor a·|running mean| a=${a} (ensemble-3 terms)`, (_v, k) => {
  const r = R.get(k)!; const L = level(r.x);
  const d = (dist: number, sd: number, i: number): number => (sd > 0 ? dist / Math.max(sd, a * L[i]!) : 0);
  return exc(r.v.map((_x, i) => d(r.vd[i]!, r.vsd[i]!, i) + d(r.ed[i]!, r.esd[i]!, i) + 0.5 * r.st[i]! * d(r.sdd[i]!, r.ssd[i]!, i)));
});

console.log('-- re-fire suppression: within H rows of a firing (p ≥ 0.5), 0 unless the raw score exceeds the fired one');
for (const H of [30, 50, 100, 150, 300]) run(corpus, `ensemble-4 + refire H${H}`, (_v, k) => {
  const r = R.get(k)!; const raw = r.v.map((_x, i) => e4(r, i)); const p = exc(raw); let lr = 0, li = -1e9;
  return p.map((x, i) => { if (i - li <= H && raw[i]! <= lr) return 0; if (x >= 0.5) { lr = raw[i]!; li = i; } return x; });
});
