import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { ROLE_TOKEN, TOKENS, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());
const auth = `Bearer ${ROLE_TOKEN.viewer}`;

describe('GET /api/v1/audit and export', () => {
  it('filters by kind(s), actor, target, decision, time; pages both ways; exports JSONL', async () => {
    const t0 = h.clock.nowMs();
    const a = await h.propose({ name: 'checkout' });
    h.clock.advance(60_000);
    const b = await h.propose({ name: 'payments' });
    await request(h.app).post(`/api/v1/decisions/${b.id}/approve`).set('Authorization', `Bearer ${TOKENS.bob!.token}`).send({ reason: 'ok' });
    const get = (q: string) => request(h.app).get(`/api/v1/audit?${q}`).set('Authorization', auth);

    expect((await get('actor=bob')).body.records.map((r: { kind: string }) => r.kind)).toEqual(['approval.granted']);
    expect((await get('target=shop/payments')).body.records.every((r: { decisionId: string }) => r.decisionId === b.id)).toBe(true);
    expect((await get('target=checkout')).body.records.every((r: { decisionId: string }) => r.decisionId === a.id)).toBe(true);
    expect((await get('kind=approval.requested,approval.granted')).body.records).toHaveLength(3);
    expect((await get(`decision_id=${a.id}`)).body.records).toHaveLength(2);
    expect((await get(`from=${t0 + 30_000}`)).body.records.every((r: { decisionId: string }) => r.decisionId === b.id)).toBe(true);
    expect((await get(`to=${new Date(t0 + 30_000).toISOString()}`)).body.records.every((r: { decisionId: string }) => r.decisionId === a.id)).toBe(true);

    const page1 = (await get('limit=2')).body;
    expect(page1.records.map((r: { seq: number }) => r.seq)).toEqual([1, 2]);
    const page2 = (await get(`limit=2&after_seq=${page1.next_after_seq}`)).body;
    expect(page2.records[0].seq).toBe(3);
    const desc = (await get('order=desc&limit=2')).body;
    expect(desc.records[0].seq).toBeGreaterThan(desc.records[1].seq);
    expect((await get(`order=desc&limit=2&before_seq=${desc.next_before_seq}`)).body.records[0].seq).toBe(desc.records[1].seq - 1);
    expect((await get('from=yesterday')).status).toBe(400);

    expect((await request(h.app).get('/api/v1/audit/export').set('Authorization', auth)).status).toBe(403); // viewer
    const exp = await request(h.app).get('/api/v1/audit/export').set('Authorization', `Bearer ${ROLE_TOKEN.operator}`).buffer(true).parse((res, cb) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => cb(null, s));
    });
    expect(exp.headers['content-type']).toContain('application/x-ndjson');
    const lines = (exp.body as string).trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string; prevHash: string });
    expect(lines.length).toBe(5);
    lines.forEach((r, i) => {
      expect(r.seq).toBe(i + 1);
      if (i) expect(r.prevHash).toBe(lines[i - 1]!.hash);
    });
  });
});
