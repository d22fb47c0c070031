import { describe, expect, it } from 'vitest';
import express from 'express';
import request from 'supertest';
import { createSeriesHandler, parseSelector, selectorMatches } from '../../../src/series/selectors.js';
import { SeriesStore } from '../../../src/series/store.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createTestMetrics } from '../../../src/telemetry/metrics.js';
import { isAppError } from '../../../src/lib/errors.js';

describe('series selectors', () => {
  const l = { __name__: 'http_requests_total', job: 'api', code: '500' };
  it.each([
    ['http_requests_total', true],
    ['http_requests_total{job="api"}', true],
    ['{__name__=~"http_.*", job!="a"}', true],
    ['{__name__=~"http"}', false], // anchored
    ['{code=~"5.."}', true],
    ['http_requests_total{code!~"5.."}', false],
    ["http_requests_total{job='api',}", true],
    ['{job=~"a|api"}', true],
    ['{missing=""  , job="api"}', true],
    ['other', false],
  ])('%s → %s', (sel, want) => {
    expect(selectorMatches(parseSelector(sel), l)).toBe(want);
  });

  it.each(['', '{}', '{job=~".*"}', '{job="a"', 'm{1a="x"}', 'm{a~"x"}', '{a=~"(?=x)"}', '{a=~"(x"}', 'm x', '{a="x}'])('rejects %j with 400', (sel) => {
    try {
      parseSelector(sel);
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.httpStatus === 400).toBe(true);
    }
  });

  it('GET /api/v1/series lists matching series with points and state', async () => {
    const clock = new ManualClock(1000);
    const store = new SeriesStore({ windowPoints: 16, maxSeries: 10, staleAfterMs: 60_000, minPoints: 3 }, clock, createTestMetrics());
    store.append([1, 2, 3].map((t) => ({ labels: { __name__: 'up', job: 'a' }, timestampMs: t, value: 1 })));
    store.append([{ labels: { __name__: 'up', job: 'b' }, timestampMs: 1, value: 1 }]);
    store.append([{ labels: { __name__: 'other', job: 'a' }, timestampMs: 1, value: 1 }]);
    const app = express();
    app.set('query parser', 'extended');
    app.get('/api/v1/series', createSeriesHandler(store));
    app.use((err: { httpStatus?: number; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.httpStatus ?? 500).json({ message: err.message });
    });
    const res = await request(app).get('/api/v1/series').query('match[]=up&match[]={job="zzz"}');
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: { key: string; points: number; state: string }) => [d.key, d.points, d.state])).toEqual([
      ['up{job="a"}', 3, 'ok'],
      ['up{job="b"}', 1, 'insufficient_data'],
    ]);
    clock.advance(120_001);
    expect((await request(app).get('/api/v1/series').query('match[]={job="a"}')).body.data[0].state).toBe('stale');
    expect((await request(app).get('/api/v1/series').query('match[]={job=~"("}')).status).toBe(400);
    expect((await request(app).get('/api/v1/series')).status).toBe(400);
  });
});
