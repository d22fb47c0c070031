import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeriesStore } from '../../../src/series/store.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';

const labels = (i: number) => ({ __name__: 'm', instance: `i${i}` });

function store(opts: Partial<{ windowPoints: number; maxSeries: number; staleAfterMs: number }> = {}, clock = new ManualClock(0)) {
  return new SeriesStore({ windowPoints: 8, maxSeries: 3, staleAfterMs: 1000, ...opts }, clock, createTestMetrics());
}

describe('series store', () => {
  it('keeps a bounded window in time order', () => {
    const s = store();
    s.append(Array.from({ length: 20 }, (_, i) => ({ labels: labels(0), timestampMs: i, value: i })));
    const { values, timestamps } = s.window('m{instance="i0"}');
    expect([...values]).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect([...timestamps]).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('treats a re-sent sample as a duplicate (idempotent under retry)', () => {
    const s = store();
    const batch = [1, 2, 3].map((t) => ({ labels: labels(0), timestampMs: t, value: t }));
    expect(s.append(batch)).toEqual({ accepted: 3, refused: 0, duplicate: 0 });
    expect(s.append(batch)).toEqual({ accepted: 0, refused: 0, duplicate: 3 });
    expect(s.window('m{instance="i0"}').values.length).toBe(3);
  });

  it('refuses new series over the cap and counts them', async () => {
    const s = store();
    const r = s.append([0, 1, 2, 3, 4].map((i) => ({ labels: labels(i), timestampMs: 1, value: 1 })));
    expect(r).toEqual({ accepted: 3, refused: 2, duplicate: 0 });
    expect(s.size).toBe(3);
  });

  it('keeps the stale marker distinct: the series ends, no value is stored', () => {
    const s = store();
    s.append([{ labels: labels(0), timestampMs: 1, value: 5 }, { labels: labels(0), timestampMs: 2, value: NaN, stale: true }]);
    expect(s.get('m{instance="i0"}')?.ended).toBe(true);
    expect(s.window('m{instance="i0"}').values.length).toBe(1);
  });

  it('drops series not seen for staleAfterMs', () => {
    const clock = new ManualClock(0);
    const s = store({}, clock);
    s.append([{ labels: labels(0), timestampMs: 1, value: 1 }]);
    clock.advance(1001);
    expect(s.sweep()).toBe(1);
    expect(s.size).toBe(0);
  });

  it('returns only series with new data from takeDirty', () => {
    const s = store();
    s.append([{ labels: labels(0), timestampMs: 1, value: 1 }]);
    expect(s.takeDirty().map((v) => v.key)).toEqual(['m{instance="i0"}']);
    expect(s.takeDirty()).toEqual([]);
  });

  it('window always equals the last windowPoints accepted values (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 50 }), (values) => {
        const s = store();
        s.append(values.map((v, i) => ({ labels: labels(0), timestampMs: i + 1, value: v })));
        const got = values.length === 0 ? [] : [...s.window('m{instance="i0"}').values];
        expect(got).toEqual(values.slice(-8));
      }),
    );
  });
});

describe('series store counts samples once, under the writer\'s source', () => {
  it('counts accepted and duplicate samples per sink', async () => {
    const metrics = createTestMetrics();
    const s = new SeriesStore({ windowPoints: 8, maxSeries: 10, staleAfterMs: 1000 }, new ManualClock(0), metrics);
    const batch = [1, 2].map((t) => ({ labels: labels(0), timestampMs: t, value: t }));
    s.append(batch);
    s.sinkFor('traces').append([{ labels: labels(1), timestampMs: 1, value: 1 }]);
    s.append(batch);
    const accepted = (await metrics.ingestSamples.get()).values;
    expect(accepted.find((v) => v.labels.source === 'remote_write')?.value).toBe(2);
    expect(accepted.find((v) => v.labels.source === 'traces')?.value).toBe(1);
    const dropped = (await metrics.ingestDropped.get()).values;
    expect(dropped.find((v) => v.labels.source === 'remote_write' && v.labels.reason === 'duplicate')?.value).toBe(2);
  });
});
