/** Experiment 25: a copy of IntervalNovelty (src/detect/novelty.ts) that also exposes the distance and scale of the last update. */
export class Nov {
  lo: Float64Array; hi: Float64Array; size = 0; n = 0; mean = 0; m2 = 0;
  constructor(readonly capacity = 16) { this.lo = new Float64Array(capacity + 1); this.hi = new Float64Array(capacity + 1); }
  get variance(): number { return this.n > 1 ? this.m2 / this.n : 0; }
  dist = 0; sd = 0;
  update(x: number): number {
    this.dist = 0; this.sd = 0;
    if (!Number.isFinite(x)) return 0;
    let k = 0, hiIdx = this.size;
    while (k < hiIdx) { const mid = (k + hiIdx) >> 1; if (this.lo[mid]! <= x) k = mid + 1; else hiIdx = mid; }
    let dist = Infinity;
    if (k > 0) dist = Math.max(0, x - this.hi[k - 1]!);
    if (k < this.size) dist = Math.min(dist, this.lo[k]! - x);
    let score = 0;
    if (this.n > 1 && dist !== Infinity) {
      const sd = Math.sqrt(this.m2 / this.n) + 1e-9 + 1e-6 * Math.abs(this.mean);
      this.dist = dist; this.sd = sd;
      score = dist / sd;
    }
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
