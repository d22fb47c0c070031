import type { Anomaly } from '../domain/types.js';
import type { SignalProbe, SignalReading } from '../actions/action.js';
import type { SeriesStore } from './store.js';

export interface SeriesSignalProbeOptions {
  /** Points after the anomaly needed before a verdict (default 3). */
  readonly minPointsAfter?: number;
}

/**
 * Verifies an action against the series that triggered it: after the bake time, the median of the
 * points newer than the anomaly must have moved back at least halfway from the anomalous value to
 * the expected one. Missing, stale, ended or too-short data is "insufficient evidence" (undefined),
 * never "healthy" (promise 15).
 */
export class SeriesSignalProbe implements SignalProbe {
  private readonly minAfter: number;

  constructor(
    private readonly store: SeriesStore,
    options: SeriesSignalProbeOptions = {},
  ) {
    this.minAfter = options.minPointsAfter ?? 3;
  }

  async read(evidence: readonly Anomaly[]): Promise<SignalReading> {
    const anomaly = evidence[evidence.length - 1];
    if (!anomaly) return { value: undefined, healthy: undefined };
    const view = this.store.get(anomaly.seriesKey);
    if (!view || this.store.insufficient(view)) return { value: undefined, healthy: undefined };
    const { values, timestamps } = this.store.window(anomaly.seriesKey);
    const after: number[] = [];
    for (let i = 0; i < values.length; i++) if (timestamps[i]! > anomaly.timestampMs) after.push(values[i]!);
    if (after.length < this.minAfter) return { value: undefined, healthy: undefined };
    after.sort((a, b) => a - b);
    const value = after[after.length >> 1]!;
    const anomalousDistance = Math.abs(anomaly.observed - anomaly.expected);
    const healthy = Math.abs(value - anomaly.expected) <= anomalousDistance / 2;
    return { value, healthy };
  }
}
