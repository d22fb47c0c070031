import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { routeTable } from '../../../src/api/app.js';
import { ROLES, roleAtLeast, type Role } from '../../../src/auth/roles.js';
import type { RouteDef } from '../../../src/api/route-table.js';
import { ROLE_TOKEN, startHarness, type Harness } from './harness.js';

let h: Harness;
let routes: RouteDef[];
beforeAll(async () => {
  h = await startHarness();
  routes = routeTable({ approvals: h.gate } as never);
});
afterAll(async () => h?.close());

const BODIES: Record<string, unknown> = {
  'put /api/v1/killswitch': { on: true, reason: 'role matrix' },
  'post /api/v1/decisions/:id/approve': { reason: 'role matrix' },
  'post /api/v1/decisions/:id/reject': { reason: 'role matrix' },
};

function concrete(path: string, id: string): string {
  return path.replace(':id', id);
}

describe('role matrix: every mutating route × every role and unauthenticated', () => {
  it('the table declares an access level for every route', () => {
    for (const r of routes) expect(['public', 'remote_write', 'slack', ...ROLES]).toContain(r.access);
  });

  const mutating = (): RouteDef[] => routes.filter((r) => r.method !== 'get' && (ROLES as readonly string[]).includes(r.access));

  it('covers the mutating routes', () => {
    expect(mutating().map((r) => `${r.method} ${r.path}`).sort()).toEqual(['post /api/v1/decisions/:id/approve', 'post /api/v1/decisions/:id/reject', 'put /api/v1/killswitch']);
  });

  for (const caller of ['unauthenticated', 'bad-token', ...ROLES] as const) {
    it(`${caller}`, async () => {
      for (const r of mutating()) {
        const d = await h.propose({ risk: 'low' });
        h.killSwitch.state = { on: false };
        let req = request(h.app)[r.method](concrete(r.path, d.id)).send(BODIES[`${r.method} ${r.path}`] as object);
        if (caller === 'bad-token') req = req.set('Authorization', 'Bearer not-a-real-token');
        else if (caller !== 'unauthenticated') req = req.set('Authorization', `Bearer ${ROLE_TOKEN[caller]}`);
        const res = await req;
        const label = `${caller} ${r.method} ${r.path} → ${res.status} ${JSON.stringify(res.body)}`;
        if (caller === 'unauthenticated' || caller === 'bad-token') expect(res.status, label).toBe(401);
        else if (!roleAtLeast(caller as Role, r.access as Role)) expect(res.status, label).toBe(403);
        else expect(res.status, label).toBe(200);
        expect(res.body.code === 'forbidden' || res.body.code === 'unauthorized' || res.status === 200, label).toBe(true);
      }
    });
  }

  it('every viewer route refuses unauthenticated and bad credentials when auth is configured', async () => {
    for (const r of routes.filter((x) => x.method === 'get' && x.access !== 'public')) {
      const path = concrete(r.path, 'x');
      expect((await request(h.app).get(path)).status, path).toBe(401);
      expect((await request(h.app).get(path).set('Authorization', 'Bearer wrong')).status, path).toBe(401);
      expect((await request(h.app).get(path).set('Authorization', 'Basic abc')).status, path).toBe(401);
    }
  });

  it('public routes stay open; remote_write too by default', async () => {
    expect((await request(h.app).get('/healthz')).status).toBe(200);
    expect((await request(h.app).get('/metrics')).status).toBe(200);
    expect((await request(h.app).get('/readyz')).status).toBe(200);
    expect((await request(h.app).get('/api/v1/openapi.json')).status).toBe(200);
    expect((await request(h.app).post('/api/v1/write').send('x')).status).toBe(204);
  });

  it('the actor comes from the credential, never the body', async () => {
    h.killSwitch.state = { on: false };
    const d = await h.propose({ risk: 'low' });
    const res = await request(h.app).post(`/api/v1/decisions/${d.id}/approve`).set('Authorization', `Bearer ${ROLE_TOKEN.approver}`).send({ reason: 'ok', actor: 'mallory' });
    expect(res.status).toBe(400);
    const ok = await request(h.app).post(`/api/v1/decisions/${d.id}/approve`).set('Authorization', `Bearer ${ROLE_TOKEN.approver}`).send({ reason: 'ok' });
    expect(ok.status).toBe(200);
    const rec = (await h.audit.list({ decisionId: d.id, kind: 'approval.granted' }))[0]!;
    expect(rec.actor).toEqual({ type: 'person', id: 'alice', authMethod: 'token' });
  });

  it('errors never echo the presented token', async () => {
    const res = await request(h.app).get('/api/v1/decisions').set('Authorization', 'Bearer super-secret-value-123');
    expect(JSON.stringify(res.body)).not.toContain('super-secret-value-123');
  });
});

describe('anonymous mode (no credentials configured)', () => {
  let anon: Harness;
  beforeAll(async () => {
    anon = await startHarness({ auth: null });
  });
  afterAll(async () => anon?.close());

  it('reads as viewer, never mutates', async () => {
    expect((await request(anon.app).get('/api/v1/decisions')).status).toBe(200);
    expect((await request(anon.app).get('/api/v1/whoami')).body).toMatchObject({ subject: 'anonymous', role: 'viewer' });
    const d = await anon.propose();
    expect((await request(anon.app).post(`/api/v1/decisions/${d.id}/approve`).send({ reason: 'x' })).status).toBe(401);
    expect((await request(anon.app).put('/api/v1/killswitch').send({ on: true, reason: 'x' })).status).toBe(401);
  });
});

describe('rate limit and CORS', () => {
  let rl: Harness;
  beforeAll(async () => {
    rl = await startHarness({ rateLimit: { windowMs: 60_000, limit: 3 } });
  });
  afterAll(async () => rl?.close());

  it('limits /api/v1 per credential but not remote_write or health', async () => {
    const auth = `Bearer ${ROLE_TOKEN.viewer}`;
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await request(rl.app).get('/api/v1/decisions').set('Authorization', auth)).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect((await request(rl.app).get('/api/v1/decisions').set('Authorization', `Bearer ${ROLE_TOKEN.admin}`)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await request(rl.app).post('/api/v1/write').send('x')).status).toBe(204);
    expect((await request(rl.app).get('/healthz')).status).toBe(200);
  });

  it('sends no CORS headers by default, and a strict CSP', async () => {
    const res = await request(rl.app).get('/').set('Origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
  });
});
