import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import type { SeriesFamily } from '../../../src/detect/detector.js';
import { EnsembleDetector } from '../../../src/detect/ensemble.js';
import { DetectionStage, familyMatcher } from '../../../src/detect/stage.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { SeriesStore } from '../../../src/series/store.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';

const T0 = 1.7e12;
const DAY = 86_400_000;

describe('detect.families: per metric family components, novelty horizon and season weight', () => {
  it('the first matching family wins; a metric matching none gets the defaults', () => {
    const config = validateConfig(
      {
        detect: {
          families: [
            { match: '_seconds$', components: ['model', 'robust'] },
            { match: 'request', components: ['model'], noveltyHorizonMs: 8 * DAY },
            { match: 'request_duration', components: ['seasonal'] },
          ],
        },
      },
      'x.yaml',
    );
    const familyFor = familyMatcher(config.detect.families);
    expect(familyFor('http_request_duration_seconds')).toEqual({ components: ['model', 'robust'] });
    expect(familyFor('svc:request_rate:rate1m')).toEqual({ components: ['model'], noveltyHorizonMs: 8 * DAY });
    expect(familyFor('up')).toBeUndefined();
  });

  it('a family horizon is validated like detect.ensemble.noveltyHorizonMs, with the path in the message', () => {
    expect(() => validateConfig({ detect: { families: [{ match: 'x', components: ['model'], noveltyHorizonMs: 5 }] } }, 'x.yaml')).toThrowError(
      /detect\.families\.0\.noveltyHorizonMs: must be 0 \(never forget\) or at least 3600000/,
    );
  });

  it('the ensemble gives a family its own state shape: its components, and interval visit times only with a horizon', () => {
    const det = new EnsembleDetector(null, { components: ['model'] });
    const shapeOf = (f?: SeriesFamily): unknown => (det.createState(f) as unknown as { shape: unknown }).shape;
    expect(shapeOf()).toBe(shapeOf({ components: ['model'] }));
    expect(shapeOf({ noveltyHorizonMs: DAY })).toBe(shapeOf({ components: ['model'], noveltyHorizonMs: DAY }));
    expect(shapeOf({ noveltyHorizonMs: DAY })).not.toBe(shapeOf());
    // three summaries (value, residual: 17 intervals; seasonal difference: 9) keep a float32 visit time each
    expect(det.createState({ noveltyHorizonMs: DAY }).bytes - det.createState().bytes).toBe(4 * (17 + 17 + 9));
    expect(shapeOf({ seasonWeight: 2 })).not.toBe(shapeOf());
    expect(shapeOf({ seasonWeight: 0.5 })).toBe(shapeOf()); // the default weight
    // weight 0: no time-of-day profile, no seasonal summary, no paired moments
    expect(det.createState().bytes - det.createState({ seasonWeight: 0 }).bytes).toBe(1208 + 120 + 24);
  });

  it('a family season weight is validated like detect.ensemble.seasonWeight', () => {
    expect(() => validateConfig({ detect: { families: [{ match: 'x', components: ['model'], seasonWeight: 11 }] } }, 'x.yaml')).toThrowError(/detect\.families\.0\.seasonWeight: .*10/);
    expect(familyMatcher(validateConfig({ detect: { families: [{ match: 'x', components: ['model'], seasonWeight: 2 }] } }, 'x.yaml').detect.families)('x')).toEqual({ components: ['model'], seasonWeight: 2 });
  });

  it('DetectionStage scores each series with its family: a robust-only family names the robust component in the evidence', () => {
    const metrics = createTestMetrics();
    const store = new SeriesStore({ windowPoints: 240, maxSeries: 10, staleAfterMs: 1e15 }, new ManualClock(T0), metrics);
    const det = new EnsembleDetector(null, { windowPoints: 240 });
    const families = familyMatcher([{ match: '^latency', components: ['robust'] }]);
    const seen: Array<SeriesFamily | undefined> = [];
    const familyFor = (metric: string): SeriesFamily | undefined => {
      const f = families(metric);
      seen.push(f);
      return f;
    };
    const stage = new DetectionStage(store, det, { threshold: 0.5, familyFor }, metrics);
    const points = (name: string) =>
      Array.from({ length: 200 }, (_, i) => ({ labels: { __name__: name, job: 'j' }, timestampMs: T0 + i * 15_000, value: 10 + Math.sin(i / 3) + (i === 190 ? 50 : 0) }));
    store.append([...points('latency_p99'), ...points('requests')]);
    const byMetric = new Map(stage.run().map((a) => [a.metric, a.detector]));
    expect(byMetric.get('latency_p99')).toBe('ensemble/robust');
    expect(byMetric.get('requests')).toBe('ensemble/model');
    expect(seen).toEqual(expect.arrayContaining([{ components: ['robust'] }, undefined])); // one lookup a new series
    expect(seen).toHaveLength(2);
  });
});
