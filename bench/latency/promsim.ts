/**
 * The two PromQL functions the latency bench's recording rules use, as Prometheus 2.x evaluates them,
 * for the offline replay (offline.ts):
 *  - rate(v[range]) = extrapolatedRate (promql/functions.go): the increase between the first and last
 *    sample in [t − range, t] (counter resets added back), extrapolated towards the range's edges by at
 *    most half an average sample interval (fully when the gap is < 1.1 intervals), and not past the point
 *    where the counter would have been 0; divided by the range in seconds. Fewer than 2 samples: none.
 *  - histogram_quantile(q, buckets) = bucketQuantile (promql/quantile.go): buckets sorted by upper bound,
 *    made monotonic, rank = q · count(+Inf); the first bucket whose cumulative count ≥ rank; linear
 *    interpolation inside it (lower bound 0 for the first bucket); the +Inf bucket answers the highest
 *    finite upper bound. No observations: NaN.
 */

export interface CounterSample {
  readonly tMs: number;
  readonly v: number;
}

/** Prometheus rate() of counter samples (time order) over [tMs − rangeMs, tMs]; null with fewer than 2 samples. */
export function promRate(samples: readonly CounterSample[], tMs: number, rangeMs: number): number | null {
  const start = tMs - rangeMs;
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.tMs < start) continue;
    if (s.tMs > tMs) break;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0 || last - first < 1) return null;
  const f = samples[first]!;
  const l = samples[last]!;
  let result = l.v - f.v;
  let prev = f.v;
  for (let i = first + 1; i <= last; i++) {
    const v = samples[i]!.v;
    if (v < prev) result += prev; // counter reset
    prev = v;
  }
  let durationToStart = (f.tMs - start) / 1000;
  const durationToEnd = (tMs - l.tMs) / 1000;
  const sampledInterval = (l.tMs - f.tMs) / 1000;
  const avg = sampledInterval / (last - first);
  if (result > 0 && f.v >= 0) {
    const durationToZero = sampledInterval * (f.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = avg * 1.1;
  let extrapolate = sampledInterval;
  extrapolate += durationToStart < threshold ? durationToStart : avg / 2;
  extrapolate += durationToEnd < threshold ? durationToEnd : avg / 2;
  result *= extrapolate / sampledInterval;
  return result / (rangeMs / 1000);
}

/** Prometheus histogram_quantile over (upper bound, cumulative rate) pairs; the last bound must be +Inf. */
export function promHistogramQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const n = bounds.length;
  if (n < 2 || bounds[n - 1] !== Infinity) return Number.NaN;
  const c = [...counts];
  // ensureMonotonic
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (c[i]! > max) max = c[i]!;
    else if (c[i]! < max) c[i] = max;
  }
  const observations = c[n - 1]!;
  if (!(observations > 0)) return Number.NaN;
  let rank = q * observations;
  let b = 0;
  while (b < n - 1 && c[b]! < rank) b++;
  if (b === n - 1) return bounds[n - 2]!;
  if (b === 0 && bounds[0]! <= 0) return bounds[0]!;
  let bucketStart = 0;
  const bucketEnd = bounds[b]!;
  let count = c[b]!;
  if (b > 0) {
    bucketStart = bounds[b - 1]!;
    count -= c[b - 1]!;
    rank -= c[b - 1]!;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}
