import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { JaegerSource } from '../../../../src/ingest/jaeger/index.js';
import { RedAggregator, RED_ERRORS, RED_RATE } from '../../../../src/series/red.js';
import { ManualClock } from '../../../../src/lib/clock.js';
import { listen, type Listening } from '../../../integration/ingest/listen.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/jaeger/${name}`, import.meta.url), 'utf8');
const T0 = 1_704_067_200_000;

/** A tiny fake Jaeger query service serving the fixtures; `v3` selects which API exists. */
async function fakeJaeger(v3: boolean) {
  const requests: URL[] = [];
  const srv = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    if (v3 && url.pathname === '/api/v3/services') return send(200, fixture('v3-services.json'));
    if (v3 && url.pathname === '/api/v3/traces') {
      const svc = url.searchParams.get('query.service_name');
      if (!url.searchParams.get('query.start_time_min') || !url.searchParams.get('query.start_time_max')) return send(400, '{"error":{"message":"missing window"}}');
      return svc === 'frontend' ? send(200, fixture('v3-traces-frontend.json')) : send(404, fixture('v3-not-found.json'));
    }
    if (!v3 && url.pathname === '/api/services') return send(200, fixture('legacy-services.json'));
    if (!v3 && url.pathname === '/api/traces') {
      return url.searchParams.get('service') === 'checkout' ? send(200, fixture('legacy-traces-checkout.json')) : send(200, '{"data":[],"total":0}');
    }
    send(404, '404 page not found');
  });
  return { srv, requests };
}

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('Jaeger query source', () => {
  it('polls /api/v3/traces per service with a moving RFC 3339 window; repeats are not counted twice', async () => {
    const { srv, requests } = await fakeJaeger(true);
    server = srv;
    const clock = new ManualClock(T0 + 6_000);
    const red = new RedAggregator({ stepMs: 10_000, graceMs: 0 }, clock);
    const src = new JaegerSource({ url: srv.url, lookbackMs: 60_000, overlapMs: 5_000 }, red, clock);
    expect(await src.pollOnce()).toBe(3);
    expect(src.detectedApi).toBe('v3');
    clock.advance(2_000);
    await src.pollOnce(); // the same spans again (overlapping window)
    expect(red.stats.duplicates).toBe(2);
    const traceCalls = requests.filter((u) => u.pathname === '/api/v3/traces' && u.searchParams.get('query.service_name') === 'frontend');
    expect(traceCalls[0]!.searchParams.get('query.start_time_min')).toBe(new Date(T0 + 6_000 - 60_000).toISOString());
    expect(traceCalls[1]!.searchParams.get('query.start_time_min')).toBe(new Date(T0 + 6_000 - 5_000).toISOString());
    expect(traceCalls[1]!.searchParams.get('query.start_time_max')).toBe(new Date(T0 + 8_000).toISOString());
    const out = red.flush(undefined, T0 + 10_000);
    const rate = out.find((s) => s.labels.__name__ === RED_RATE)!;
    expect(rate.labels).toEqual({ __name__: RED_RATE, service: 'frontend', operation: 'GET /cart', version: 'v2' });
    expect(rate.value).toBe(0.2);
    expect(out.find((s) => s.labels.__name__ === RED_ERRORS)!.value).toBe(0.5);
    expect(src.health()).toMatchObject({ up: true, lastError: undefined });
  });

  it('falls back to /api/traces (microseconds) when /api/v3 is absent', async () => {
    const { srv, requests } = await fakeJaeger(false);
    server = srv;
    const clock = new ManualClock(T0 + 6_000);
    const red = new RedAggregator({ graceMs: 0 }, clock);
    const src = new JaegerSource({ url: srv.url }, red, clock);
    expect(await src.pollOnce()).toBe(3);
    expect(src.detectedApi).toBe('legacy');
    const call = requests.find((u) => u.pathname === '/api/traces' && u.searchParams.get('service') === 'checkout')!;
    expect(call.searchParams.get('end')).toBe(String((T0 + 6_000) * 1000));
    const out = red.flush(undefined, T0 + 10_000);
    const rate = out.find((s) => s.labels.__name__ === RED_RATE)!;
    expect(rate.labels).toEqual({ __name__: RED_RATE, service: 'checkout', operation: 'POST /checkout', version: 'canary-7' });
    expect(rate.value).toBe(0.2);
    expect(out.find((s) => s.labels.__name__ === RED_ERRORS)!.value).toBe(0.5);
  });

  it('is down (with the error) while Jaeger fails, up again after', async () => {
    const clock = new ManualClock(T0);
    const src = new JaegerSource({ url: 'http://127.0.0.1:1', timeoutMs: 2000 }, new RedAggregator({}, clock), clock);
    await expect(src.pollOnce()).rejects.toThrow();
    expect(src.health()).toMatchObject({ up: false, failures: 1 });
    expect(src.health().lastError).toBeTruthy();
  });
});
