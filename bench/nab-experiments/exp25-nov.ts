import { IntervalSummary } from './interval-summary.js';

/** Experiment 25: IntervalNovelty (src/detect/novelty.ts) that also exposes the distance and scale of the last update. */
export class Nov extends IntervalSummary {
  dist = 0; scale = 0;
  update(x: number): number {
    this.dist = 0; this.scale = 0;
    if (!Number.isFinite(x)) return 0;
    const { k, dist } = this.nearest(x);
    let score = 0;
    if (this.n > 1 && dist !== Infinity) {
      this.dist = dist; this.scale = this.sd;
      score = dist / this.scale;
    }
    this.learn(x, k, dist);
    return score;
  }
}
