/** Linear-interpolated quantile (q in 0..1) of latencies in seconds, rounded to 0.01 s; null for none. Shared by run.ts and offline.ts so both report alike. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return +(s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)).toFixed(2);
}
