/**
 * The interval summary of src/detect/novelty.ts (sorted covered intervals, smallest gap merged when
 * full, running mean/variance), written out for experiments that change how a distance is scaled.
 * Subclasses score with nearest() and then call learn().
 */
export class IntervalSummary {
  lo: Float64Array; hi: Float64Array; size = 0; n = 0; mean = 0; m2 = 0;
  constructor(readonly capacity = 16) { this.lo = new Float64Array(capacity + 1); this.hi = new Float64Array(capacity + 1); }
  get variance(): number { return this.n > 1 ? this.m2 / this.n : 0; }
  /** The running standard deviation as novelty.ts floors it. */
  get sd(): number { return Math.sqrt(this.m2 / this.n) + 1e-9 + 1e-6 * Math.abs(this.mean); }

  /** Insertion index of x and its distance to the nearest covered interval (Infinity when empty). */
  nearest(x: number): { k: number; dist: number } {
    let k = 0, hiIdx = this.size;
    while (k < hiIdx) { const mid = (k + hiIdx) >> 1; if (this.lo[mid]! <= x) k = mid + 1; else hiIdx = mid; }
    let dist = Infinity;
    if (k > 0) dist = Math.max(0, x - this.hi[k - 1]!);
    if (k < this.size) dist = Math.min(dist, this.lo[k]! - x);
    return { k, dist };
  }

  /** Adds x (at index k, `dist` from the nearest interval) to the summary and the running moments. */
  learn(x: number, k: number, dist: number): void {
    if (dist > 0) this.insert(k, x);
    this.n++;
    const d = x - this.mean; this.mean += d / this.n; this.m2 += d * (x - this.mean);
  }

  private insert(k: number, x: number): void {
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
