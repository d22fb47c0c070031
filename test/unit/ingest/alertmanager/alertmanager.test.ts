import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import express from 'express';
import request from 'supertest';
import { createAlertmanagerHandler, type AlertEvidence } from '../../../../src/ingest/alertmanager/index.js';
import { ManualClock } from '../../../../src/lib/clock.js';
import { createTestMetrics } from '../../../../src/telemetry/metrics.js';

const TOKEN = 's3cret-token';

function payload(over: Record<string, unknown> = {}, alert: Record<string, unknown> = {}) {
  return {
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'aiopsd',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', service: 'checkout' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'page' },
        annotations: { summary: 'errors' },
        startsAt: '2024-01-01T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: 'c2a1f1b2d3e4f5a6',
        ...alert,
      },
    ],
    ...over,
  };
}

function setup(onAlerts?: (a: AlertEvidence[]) => void) {
  const got: AlertEvidence[][] = [];
  const app = express();
  app.post('/api/v1/alertmanager', createAlertmanagerHandler({ token: TOKEN, onAlerts: onAlerts ?? ((a) => void got.push(a)), clock: new ManualClock(1_704_067_200_000), metrics: createTestMetrics(), maxBodyBytes: 64 * 1024 }));
  const post = (body: unknown, token = TOKEN) => request(app).post('/api/v1/alertmanager').set('authorization', `Bearer ${token}`).set('content-type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
  return { app, got, post };
}

describe('Alertmanager webhook receiver', () => {
  it('turns a v4 payload into AlertEvidence', async () => {
    const { got, post } = setup();
    const res = await post(payload());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 1, new: 1, duplicates: 0 });
    expect(got[0]![0]).toMatchObject({ alertname: 'HighErrorRate', service: 'checkout', severity: 'page', status: 'firing', startsAtMs: 1_704_067_200_000, endsAtMs: undefined, fingerprint: 'c2a1f1b2d3e4f5a6' });
  });

  it('folds HA duplicates on groupKey + fingerprint + status + startsAt', async () => {
    const { got, post } = setup();
    await post(payload());
    const again = await post(payload());
    expect(again.body).toMatchObject({ new: 0, duplicates: 1 });
    await post(payload({ status: 'resolved' }, { status: 'resolved', endsAt: '2024-01-01T00:05:00Z' }));
    await post(payload({}, { startsAt: '2024-01-01T01:00:00Z' }));
    expect(got.map((g) => g[0]!.status)).toEqual(['firing', 'resolved', 'firing']);
    expect(got[1]![0]!.endsAtMs).toBe(Date.parse('2024-01-01T00:05:00Z'));
  });

  it('401 without the right bearer token', async () => {
    const { post, app } = setup();
    expect((await post(payload(), 'wrong')).status).toBe(401);
    expect((await request(app).post('/api/v1/alertmanager').send(payload())).status).toBe(401);
  });

  it('400 with the failing path for invalid payloads', async () => {
    const { post } = setup();
    const v3 = await post(payload({ version: '3' }));
    expect(v3.status).toBe(400);
    expect(v3.body.message).toMatch(/version/);
    const bad = await post(payload({}, { startsAt: 'yesterday' }));
    expect(bad.status).toBe(400);
    expect(bad.body.details.path).toBe('alerts.0.startsAt');
    expect((await post('{nope')).status).toBe(400);
  });

  it('500 (so Alertmanager retries) when alerts cannot be recorded; the retry is not a duplicate', async () => {
    let fail = true;
    const seen: AlertEvidence[] = [];
    const { post } = setup((a) => {
      if (fail) throw new Error('db down');
      seen.push(...a);
    });
    expect((await post(payload())).status).toBe(500);
    fail = false;
    expect((await post(payload())).body.new).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('any body → 2xx or 4xx (property)', async () => {
    const { post } = setup();
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify(v) ?? 'null'), fc.constant(JSON.stringify(payload()))), async (body) => {
      const res = await post(body).timeout(5000);
      expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
    }), { numRuns: 200 });
  });
});
