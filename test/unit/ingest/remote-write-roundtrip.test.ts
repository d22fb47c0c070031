import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { Sample } from '../../../src/domain/types.js';
import {
  type LabelInput,
  type SampleV2Input,
  compressBlock,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  decompressBlock,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  toWriteRequestV2,
} from '../../../src/ingest/remote-write/index.js';
import { PATH, V1_TYPE_PROTO, V2_TYPE, close, createTestApp, listen } from './remote-write-helpers.js';

const labelName = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'job', 'le') },
).filter((n) => n !== '__name__');

// Any text but NUL, which the receiver refuses (400) because PostgreSQL text cannot hold it.
const noNul = (s: string): string => s.replaceAll('\u0000', '');
const labelValue = fc.string({ unit: 'binary', maxLength: 24 }).map(noNul);

const labelSet: fc.Arbitrary<LabelInput[]> = fc
  .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).map(noNul).filter((s) => s.length > 0), fc.uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 6, selector: ([n]) => n }))
  .map(([metric, pairs]) => [{ name: '__name__', value: metric }, ...pairs.map(([name, value]) => ({ name, value }))]);

const sampleArb: fc.Arbitrary<SampleV2Input> = fc.record(
  {
    value: fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0)),
    timestamp: fc.maxSafeInteger(),
    stale: fc.boolean(),
    startTimestamp: fc.maxSafeInteger(),
  },
  { requiredKeys: ['value', 'timestamp'] },
);

const seriesArb = fc.array(fc.record({ labels: labelSet, samples: fc.array(sampleArb, { maxLength: 5 }) }), { maxLength: 8 });

type Series = { labels: LabelInput[]; samples: SampleV2Input[] };

function expected(series: Series[]): Sample[] {
  return series.flatMap((s) => {
    const labels = Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
    return s.samples.map((x) => ({
      labels,
      timestampMs: x.timestamp,
      value: x.stale === true ? Number.NaN : x.value,
      stale: x.stale === true,
    }));
  });
}

function roundTripV1(series: Series[]): Sample[] {
  const body = compressBlock(encodeWriteRequestV1({ timeseries: series }));
  return decodeWriteRequestV1(decompressBlock(body, 1 << 24)).samples;
}

function roundTripV2(series: Series[]): Sample[] {
  const body = compressBlock(encodeWriteRequestV2(toWriteRequestV2(series)));
  return decodeWriteRequestV2(decompressBlock(body, 1 << 24)).samples;
}

describe('remote_write round trips', () => {
  it('1.0: encode → compress → decode loses nothing', () => {
    fc.assert(fc.property(seriesArb, (series) => {
      expect(roundTripV1(series)).toEqual(expected(series));
    }), { numRuns: 300 });
  });

  it('2.0: encode → compress → decode loses nothing', () => {
    fc.assert(fc.property(seriesArb, (series) => {
      expect(roundTripV2(series)).toEqual(expected(series));
    }), { numRuns: 300 });
  });

  it('keeps the stale marker distinct from an ordinary NaN in both versions', () => {
    const series: Series[] = [{
      labels: [{ name: '__name__', value: 'up' }],
      samples: [{ value: Number.NaN, timestamp: 1 }, { value: 0, timestamp: 2, stale: true }, { value: Number.NaN, timestamp: 3 }],
    }];
    for (const out of [roundTripV1(series), roundTripV2(series)]) {
      expect(out.map((s) => s.stale)).toEqual([false, true, false]);
      expect(out.every((s) => Number.isNaN(s.value))).toBe(true);
    }
  });

  it('keeps extreme int64 timestamps and labels named like Object.prototype members', () => {
    const series: Series[] = [{
      labels: [{ name: '__name__', value: 'm' }, { name: '__proto__', value: 'p' }, { name: 'constructor', value: 'c' }],
      samples: [
        { value: 1, timestamp: Number.MAX_SAFE_INTEGER },
        { value: 2, timestamp: Number.MIN_SAFE_INTEGER },
        { value: 3, timestamp: -1 },
        { value: 4, timestamp: 0 },
        { value: 5, timestamp: 2 ** 32 },
        { value: 6, timestamp: -(2 ** 32) },
      ],
    }];
    for (const out of [roundTripV1(series), roundTripV2(series)]) {
      expect(out.map((s) => s.timestampMs)).toEqual([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -1, 0, 2 ** 32, -(2 ** 32)]);
      const labels = out[0]?.labels ?? {};
      expect(Object.keys(labels).sort()).toEqual(['__name__', '__proto__', 'constructor']);
      expect(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value).toBe('p');
    }
  });

  describe('over HTTP', () => {
    const t = createTestApp();
    let server: Server;
    beforeAll(async () => {
      server = await listen(t.app);
    });
    afterAll(async () => {
      await close(server);
    });

    it('1.0 and 2.0 requests reach the sink unchanged', async () => {
      await fc.assert(fc.asyncProperty(seriesArb, fc.boolean(), async (series, v2) => {
        t.sink.reset();
        const proto = v2 ? encodeWriteRequestV2(toWriteRequestV2(series)) : encodeWriteRequestV1({ timeseries: series });
        const res = await request(server).post(PATH)
          .set('Content-Type', v2 ? V2_TYPE : V1_TYPE_PROTO)
          .set('Content-Encoding', 'snappy')
          .send(compressBlock(proto));
        expect(res.status).toBe(204);
        const received = t.sink.calls.flat();
        expect(received).toEqual(expected(series));
      }), { numRuns: 40 });
    });
  });
});
