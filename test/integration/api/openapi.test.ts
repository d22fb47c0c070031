import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Express } from 'express';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

/** Routes registered on the Express app (walks the router stack, not the route table). */
function registered(app: Express): string[] {
  const out: string[] = [];
  const stack = (app as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router.stack;
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const m of Object.keys(layer.route.methods)) out.push(`${m} ${layer.route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
  }
  return out.filter((r) => r !== 'get /').sort(); // the web page is not part of the API
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists exactly the registered routes', async () => {
    const res = await request(h.app).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented: string[] = [];
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>)) for (const m of Object.keys(ops)) documented.push(`${m} ${path}`);
    expect(documented.sort()).toEqual(registered(h.app));
    expect(documented.length).toBeGreaterThan(10);
  });

  it('names the minimum role of every operation and documents path parameters', async () => {
    const res = await request(h.app).get('/api/v1/openapi.json');
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, Record<string, { 'x-aiopsd-access': string; parameters?: Array<{ name: string; in: string }> }>>)) {
      for (const op of Object.values(ops)) {
        expect(op['x-aiopsd-access']).toMatch(/^(public|remote_write|slack|viewer|operator|approver|admin)$/);
        for (const m of path.matchAll(/\{(\w+)\}/g)) expect(op.parameters?.some((p) => p.in === 'path' && p.name === m[1])).toBe(true);
      }
    }
  });
});
