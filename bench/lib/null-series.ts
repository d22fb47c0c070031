import { mulberry32 } from '../../src/lib/random.js';

/** Anomaly-free series kinds for calibration checks (bench/null-rates.ts, test/unit/detect/null-rates.test.ts). */
export const NULL_SERIES_KINDS = [
  'gaussian',
  'gaussian-x1e6',
  'gaussian-x1e-3',
  'ar1-0.9',
  'student-t3',
  'poisson-2',
  'poisson-1000',
  'uniform',
  'daily-sine',
  'quantised-0.5',
  'daily-job',
] as const;
export type NullSeriesKind = (typeof NULL_SERIES_KINDS)[number];

/**
 * `n` points of an anomaly-free series of this kind at one point a minute (daily-sine: a 1 440-point day),
 * seeded. daily-job: a steady level with a job's spike at 03:00 every day, its height varying from day to
 * day (so some days' spikes are taller than any before).
 */
export function nullSeries(kind: NullSeriesKind, n: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const poisson = (lambda: number): number => {
    if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss()));
    let k = 0;
    for (let p = rand(), l = Math.exp(-lambda); p > l; p *= rand()) k++;
    return k;
  };
  const v = new Float64Array(n);
  let ar = 0;
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'gaussian': v[i] = 100 + 5 * gauss(); break;
      case 'gaussian-x1e6': v[i] = 1e6 * (100 + 5 * gauss()); break;
      case 'gaussian-x1e-3': v[i] = 1e-3 * (100 + 5 * gauss()); break;
      case 'ar1-0.9': ar = 0.9 * ar + gauss(); v[i] = 50 + ar; break;
      case 'student-t3': { const z = gauss(); const c = gauss() ** 2 + gauss() ** 2 + gauss() ** 2; v[i] = 20 + z / Math.sqrt(c / 3); break; }
      case 'poisson-2': v[i] = poisson(2); break;
      case 'poisson-1000': v[i] = poisson(1000); break;
      case 'uniform': v[i] = 10 + 4 * rand(); break;
      case 'daily-sine': v[i] = 100 + 30 * Math.sin((2 * Math.PI * i) / 1440) + 3 * gauss(); break;
      case 'quantised-0.5': v[i] = Math.round((5 + gauss()) * 2) / 2; break;
      case 'daily-job': v[i] = i % 1440 === 180 ? 160 + 10 * gauss() : 100 + 2 * gauss(); break;
    }
  }
  return v;
}
