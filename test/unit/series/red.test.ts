import { describe, expect, it } from 'vitest';
import { RedAggregator, RED_ERRORS, RED_LATENCY, RED_RATE } from '../../../src/series/red.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { mkSpan, mkTraces } from '../ingest/otlp/helpers.js';
import type { Sample } from '../../../src/domain/types.js';

const T0 = 1_704_067_200_000;
const find = (out: Sample[], name: string, extra: Record<string, string> = {}) =>
  out.filter((s) => s.labels.__name__ === name && Object.entries(extra).every(([k, v]) => s.labels[k] === v));

describe('traces → RED series', () => {
  it('emits rate, error ratio and latency quantiles per service/operation/version and step', () => {
    const clock = new ManualClock(T0);
    const red = new RedAggregator({ stepMs: 10_000, graceMs: 0 }, clock);
    const spans = [];
    for (let i = 1; i <= 100; i++) spans.push(mkSpan(T0 + 100 * i - 50, { name: 'GET /a', durationMs: i, ...(i % 10 === 0 ? { statusCode: 2 } : {}) }));
    spans.push(mkSpan(T0 + 500, { name: 'GET /a', attributes: [{ key: 'http.response.status_code', value: 503n }], durationMs: 1 }));
    spans.push(mkSpan(T0 + 500, { name: 'child', parentSpanId: 'aaaaaaaaaaaaaaaa', kind: 3 })); // not a request span
    red.consume(mkTraces('shop', spans, [{ key: 'service.version', value: 'v2' }]));
    expect(red.flush(undefined, T0 + 9_999)).toEqual([]);
    const out = red.flush(undefined, T0 + 10_000);
    const labels = { service: 'shop', operation: 'GET /a', version: 'v2' };
    expect(find(out, RED_RATE)).toEqual([{ labels: { __name__: RED_RATE, ...labels }, timestampMs: T0 + 10_000, value: 10.1 }]);
    expect(find(out, RED_ERRORS)[0]!.value).toBeCloseTo(11 / 101);
    expect(find(out, RED_LATENCY, { quantile: '0.5' })[0]!.value).toBeCloseTo(0.05, 3);
    expect(find(out, RED_LATENCY, { quantile: '0.99' })[0]!.value).toBeCloseTo(0.099, 3);
    expect(out.some((s) => s.labels.operation === 'child')).toBe(false);
  });

  it('counts a span delivered twice once', () => {
    const clock = new ManualClock(T0);
    const red = new RedAggregator({ graceMs: 0 }, clock);
    const s = mkSpan(T0 + 1000);
    red.consume(mkTraces('a', [s]));
    red.consume(mkTraces('a', [s]));
    expect(red.stats.duplicates).toBe(1);
    expect(find(red.flush(undefined, T0 + 10_000), RED_RATE)[0]!.value).toBe(0.1);
  });

  it('labels canary/stable from a canary attribute and keeps versions apart', () => {
    const clock = new ManualClock(T0);
    const red = new RedAggregator({ graceMs: 0 }, clock);
    red.consume(mkTraces('a', [mkSpan(T0 + 1, { attributes: [{ key: 'canary', value: true }] }), mkSpan(T0 + 2, { attributes: [{ key: 'canary', value: 'false' }] })]));
    const versions = find(red.flush(undefined, T0 + 10_000), RED_RATE).map((s) => s.labels.version).sort();
    expect(versions).toEqual(['canary', 'stable']);
  });

  it('reports rate 0 while a key is idle, then forgets it; late spans are dropped', () => {
    const clock = new ManualClock(T0);
    const red = new RedAggregator({ graceMs: 0, idleSteps: 2 }, clock);
    red.consume(mkTraces('a', [mkSpan(T0 + 1)]));
    const out = red.flush(undefined, T0 + 60_000);
    expect(find(out, RED_RATE).map((s) => s.value)).toEqual([0.1, 0, 0]);
    expect(red.trackedKeys).toBe(0);
    clock.set(T0 + 60_000);
    red.consume(mkTraces('a', [mkSpan(T0 + 5)]));
    expect(red.stats.late).toBe(1);
  });

  it('rejects spans without service.name, ids or timestamps (partial success)', () => {
    const red = new RedAggregator({}, new ManualClock(T0));
    expect(red.consume(mkTraces(undefined, [mkSpan(T0)])).rejected).toBe(1);
    const r = red.consume(mkTraces('a', [mkSpan(T0, { traceId: '' }), mkSpan(T0, { startTimeUnixNano: 0n }), mkSpan(T0)]));
    expect(r).toMatchObject({ accepted: 1, rejected: 2 });
    expect(r.errorMessage).toMatch(/trace_id/);
  });

  it('bounds tracked keys', () => {
    const red = new RedAggregator({ maxKeys: 3 }, new ManualClock(T0));
    red.consume(mkTraces('a', Array.from({ length: 10 }, (_, i) => mkSpan(T0, { name: `op${i}` }))));
    expect(red.trackedKeys).toBe(3);
    expect(red.stats.keyLimit).toBe(7);
  });
});
