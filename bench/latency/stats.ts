/** Linear-interpolated quantile (q in 0..1) of latencies in seconds, rounded to 0.01 s; null for none. Shared by run.ts and offline.ts so both report alike. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return +(s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)).toFixed(2);
}

/**
 * Two daemons' per-fault latencies on the same samples (run.ts --compare-model): per fault compared −
 * shipped in seconds (positive = the compared model signalled later; null where either missed), their
 * median, and how many faults each signalled first. Within a second counts as the same evaluation: the
 * daemon scores once a second and the two poll independently.
 */
export function pairLatencies(shipped: ReadonlyArray<{ latencyS: number | null }>, compared: ReadonlyArray<{ latencyS: number | null }>) {
  if (shipped.length !== compared.length) throw new Error(`pairLatencies: ${shipped.length} faults vs ${compared.length}`);
  const deltasS = shipped.map((f, i) => {
    const c = compared[i]!.latencyS;
    return f.latencyS === null || c === null ? null : +(c - f.latencyS).toFixed(2);
  });
  const known = deltasS.filter((d): d is number => d !== null);
  return { deltasS, ...tallyDeltas(known), unpaired: deltasS.length - known.length };
}

/** Median of paired latency differences and how many are a second or more either way (pairLatencies). */
export function tallyDeltas(deltasS: readonly number[]) {
  return {
    medianDeltaS: quantile(deltasS, 0.5),
    comparedLater: deltasS.filter((d) => d >= 1).length,
    comparedEarlier: deltasS.filter((d) => d <= -1).length,
    same: deltasS.filter((d) => Math.abs(d) < 1).length,
  };
}
