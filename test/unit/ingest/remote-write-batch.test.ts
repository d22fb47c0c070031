import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seriesKey } from '../../../src/domain/labels.js';
import type { Sample } from '../../../src/domain/types.js';
import {
  type LabelInput,
  type SampleInput,
  ProtoWriter,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  toWriteRequestV2,
} from '../../../src/ingest/remote-write/index.js';
import { clearLabelCache } from '../../../src/ingest/remote-write/label-cache.js';
import { SeriesStore } from '../../../src/series/store.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';

const labelName = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'job', 'A', 'Z', '_a') },
).filter((n) => n !== '__name__');
// Any text but NUL, which the receiver refuses (400).
const labelValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replaceAll('\u0000', '')), fc.constantFrom('a"b', 'x\\y', 'tab\t', '\ud800', 'é', ''));
const labelSet: fc.Arbitrary<LabelInput[]> = fc
  .tuple(fc.string({ minLength: 1, maxLength: 8 }).map((s) => s.replaceAll('\u0000', 'x')), fc.uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 5, selector: ([n]) => n }), fc.boolean())
  .map(([metric, pairs, sorted]) => {
    const all = [{ name: '__name__', value: metric }, ...pairs.map(([name, value]) => ({ name, value }))];
    return sorted ? all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : all;
  });
const sampleArb: fc.Arbitrary<SampleInput> = fc.record({ value: fc.double(), timestamp: fc.integer({ min: 0, max: 1e6 }) });
const seriesArb = fc.array(fc.record({ labels: labelSet, samples: fc.array(sampleArb, { maxLength: 4 }) }), { maxLength: 6 });

describe('remote_write series batch', () => {
  it('carries the same samples as the per-sample form, with key = seriesKey(labels), v1 and v2 (property)', () => {
    fc.assert(
      fc.property(seriesArb, (series) => {
        for (const decoded of [decodeWriteRequestV1(encodeWriteRequestV1({ timeseries: series })), decodeWriteRequestV2(encodeWriteRequestV2(toWriteRequestV2(series)))]) {
          const { batch } = decoded;
          const samples: Sample[] = [];
          for (let s = 0; s < batch.count; s++) {
            expect(batch.keys[s]).toBe(seriesKey(batch.labels[s]!));
            for (let i = batch.offsets[s]!; i < batch.offsets[s + 1]!; i++) {
              samples.push({ labels: batch.labels[s]!, timestampMs: batch.timestamps[i]!, value: batch.values[i]!, stale: batch.stale[i] === 1 });
            }
          }
          expect(decoded.samples).toEqual(samples);
          expect(samples.length).toBe(series.reduce((n, s) => n + s.samples.length, 0));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a request the same way with the label cache cold and warm', () => {
    fc.assert(
      fc.property(seriesArb, (series) => {
        const body = encodeWriteRequestV1({ timeseries: series });
        clearLabelCache();
        const cold = decodeWriteRequestV1(body);
        const warm = decodeWriteRequestV1(body);
        expect(warm.batch.keys).toEqual(cold.batch.keys);
        expect(warm.samples).toEqual(cold.samples);
        expect(warm.series).toBe(cold.series);
      }),
      { numRuns: 200 },
    );
  });

  it('falls back to a full decode when a label field follows the samples of a cached label block', () => {
    clearLabelCache();
    const first = encodeWriteRequestV1({ timeseries: [{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 1 }] }] });
    expect(decodeWriteRequestV1(first).batch.keys).toEqual(['up{}']);
    // Same label bytes first, then a sample, then one more label: the series is up{job="x"}.
    const label = (name: string, value: string) => new ProtoWriter().tag(1, 2).string(name).tag(2, 2).string(value).finish();
    const sample = new ProtoWriter().tag(1, 1).double(2).tag(2, 0).int64(2).finish();
    const ts = new ProtoWriter().tag(1, 2).bytes(label('__name__', 'up')).tag(2, 2).bytes(sample).tag(1, 2).bytes(label('job', 'x')).finish();
    const body = new ProtoWriter().tag(1, 2).bytes(ts).finish();
    const out = decodeWriteRequestV1(body);
    expect(out.batch.keys).toEqual(['up{job="x"}']);
    expect(out.samples).toEqual([{ labels: { __name__: 'up', job: 'x' }, timestampMs: 2, value: 2, stale: false }]);
  });

  it('stores a batch exactly as append() stores the same samples (property)', () => {
    fc.assert(
      fc.property(seriesArb, fc.integer({ min: 1, max: 4 }), (series, maxSeries) => {
        const decoded = decodeWriteRequestV1(encodeWriteRequestV1({ timeseries: series }));
        const opts = { windowPoints: 8, maxSeries, staleAfterMs: 1000 };
        const a = new SeriesStore(opts, new ManualClock(0), createTestMetrics());
        const b = new SeriesStore(opts, new ManualClock(0), createTestMetrics());
        expect(b.appendSeries(decoded.batch)).toEqual(a.append(decoded.samples));
        expect([...b.all()].map((v) => v.key)).toEqual([...a.all()].map((v) => v.key));
        for (const v of a.all()) {
          expect(b.window(v.key)).toEqual(a.window(v.key));
          expect(b.get(v.key)?.labels).toEqual(v.labels);
        }
      }),
      { numRuns: 200 },
    );
  });
});
