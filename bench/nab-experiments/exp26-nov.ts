import { IntervalSummary } from './interval-summary.js';

/**
 * Experiment 26: IntervalNovelty variants for low FP. `mode`:
 *  - 'sd': as src/detect/novelty.ts (distance / running std);
 *  - 'gap': a value beyond the seen range is scaled by max(std, the outermost gap on that side): spiky
 *    series keep wide gaps in their tails (the summary merges the smallest gaps first);
 *  - 'rec': a value beyond the seen range is scaled by max(std, that side's previous record increment).
 */
export type NovMode = 'sd' | 'gap' | 'rec';
export class Nov2 extends IntervalSummary {
  incHi = 0; incLo = 0;
  constructor(capacity = 16, readonly mode: NovMode = 'sd', readonly k = 1) { super(capacity); }
  update(x: number): number {
    if (!Number.isFinite(x)) return 0;
    const { k, dist } = this.nearest(x);
    let score = 0;
    const above = this.size > 0 && x > this.hi[this.size - 1]!;
    const below = this.size > 0 && x < this.lo[0]!;
    if (this.n > 1 && dist !== Infinity) {
      let sd = this.sd;
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
    this.learn(x, k, dist);
    return score;
  }
}
