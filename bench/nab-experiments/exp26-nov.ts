/**
 * Experiment 26: IntervalNovelty variants for low FP. `mode`:
 *  - 'sd': as src/detect/novelty.ts (distance / running std);
 *  - 'gap': a value beyond the seen range is scaled by max(std, the outermost gap on that side): spiky
 *    series keep wide gaps in their tails (the summary merges the smallest gaps first);
 *  - 'rec': a value beyond the seen range is scaled by max(std, that side's previous record increment).
 */
export type NovMode = 'sd' | 'gap' | 'rec';
export class Nov2 {
  lo: Float64Array; hi: Float64Array; size = 0; n = 0; mean = 0; m2 = 0;
  incHi = 0; incLo = 0;
  constructor(readonly capacity = 16, readonly mode: NovMode = 'sd', readonly k = 1) { this.lo = new Float64Array(capacity + 1); this.hi = new Float64Array(capacity + 1); }
  get variance(): number { return this.n > 1 ? this.m2 / this.n : 0; }
  update(x: number): number {
    if (!Number.isFinite(x)) return 0;
    let k = 0, hiIdx = this.size;
    while (k < hiIdx) { const mid = (k + hiIdx) >> 1; if (this.lo[mid]! <= x) k = mid + 1; else hiIdx = mid; }
    let dist = Infinity;
    if (k > 0) dist = Math.max(0, x - this.hi[k - 1]!);
    if (k < this.size) dist = Math.min(dist, this.lo[k]! - x);
    let score = 0;
    const above = this.size > 0 && x > this.hi[this.size - 1]!;
    const below = this.size > 0 && x < this.lo[0]!;
    if (this.n > 1 && dist !== Infinity) {
      let sd = Math.sqrt(this.m2 / this.n) + 1e-9 + 1e-6 * Math.abs(this.mean);
      if (this.mode === 'gap' && this.size > 1) {
        if (above) sd = Math.max(sd, this.k * (this.lo[this.size - 1]! - this.hi[this.size - 2]!));
        if (below) sd = Math.max(sd, this.k * (this.lo[1]! - this.hi[0]!));
      }
      if (this.mode === 'rec') {
        if (above) sd = Math.max(sd, this.k * this.incHi);
        if (below) sd = Math.max(sd, this.k * this.incLo);
      }
      score = dist / sd;
    }
    if (this.n > 1) { if (above) this.incHi = dist; if (below) this.incLo = dist; }
    if (dist > 0) this.insert(k, x);
    this.n++;
    const d = x - this.mean; this.mean += d / this.n; this.m2 += d * (x - this.mean);
    return score;
  }
  insert(k: number, x: number): void {
    this.lo.copyWithin(k + 1, k, this.size); this.hi.copyWithin(k + 1, k, this.size);
    this.lo[k] = x; this.hi[k] = x; this.size++;
    if (this.size <= this.capacity) return;
    let g = 0, best = Infinity;
    for (let j = 0; j + 1 < this.size; j++) { const gap = this.lo[j + 1]! - this.hi[j]!; if (gap < best) { best = gap; g = j; } }
    this.hi[g] = this.hi[g + 1]!;
    this.lo.copyWithin(g + 1, g + 2, this.size); this.hi.copyWithin(g + 1, g + 2, this.size);
    this.size--;
  }
}
