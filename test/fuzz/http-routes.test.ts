/**
 * Every HTTP route of a running daemon under fast-check, for a bounded budget (FUZZ_HTTP_RUNS per route,
 * default 150). The routes come from the daemon itself (its OpenAPI document is generated from
 * routeTable in src/api/route-table.ts), so a new route is fuzzed without editing this file.
 * Inputs: random path parameters, query strings, bodies (bytes, JSON, form, protobuf-ish), content
 * types and encodings, credentials (none, garbage, a valid admin token, the Alertmanager token, a valid
 * Slack signature over the random body). Property: every answer is < 500 and arrives within 5 s, and the
 * daemon stays ready. The number of requests is printed as one FUZZ line.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { sha256Hex } from '../../src/auth/authenticator.js';
import { signSlackRequest } from '../../src/notify/slack-interactions.js';
import { compressBlock } from '../../src/ingest/remote-write/snappy.js';
import { tempDir, testConfig } from '../support/env.js';

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 150);
const ADMIN = 'fuzz-admin-token-0123456789';
const AM_TOKEN = 'fuzz-am-token-0123456789';
const SLACK_SECRET = 'fuzz-slack-signing-secret';

describe('fuzz: every HTTP route of a running daemon', () => {
  let daemon: Daemon;
  const tmp = tempDir('aiopsd-fuzz-http-');
  const counts: Record<string, number> = {};
  const statuses: Record<string, number> = {};

  beforeAll(async () => {
    const config = testConfig(tmp.dir, {
      api: { auth: { tokens: [{ name: 'root', role: 'admin', sha256: sha256Hex(ADMIN) }] }, rateLimit: { limit: 0 } },
      ingest: { alertmanager: { token: AM_TOKEN } },
      slack: { enabled: true, apiBaseUrl: 'http://127.0.0.1:9/api', botToken: 'xoxb-fuzz', signingSecret: SLACK_SECRET, channel: 'C1', teamId: 'T1', appId: 'A1', mode: 'http', users: { U1: { name: 'root', role: 'admin' } } },
      detect: { detector: 'robust' },
    });
    daemon = await startDaemon({ config, logger: silentLogger(), autoCycle: false });
  });
  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`FUZZ ${JSON.stringify({ suite: 'http-routes', date: new Date().toISOString(), runsPerRoute: RUNS, routes: Object.keys(counts).length, requests: total, perRoute: counts, statuses })}`);
  });

  it('no 5xx, no hang, still ready', async () => {
    const doc = (await (await fetch(`${daemon.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).filter(([m]) => ['get', 'post', 'put'].includes(m)).map(([method, op]) => ({ path: p, method: method.toUpperCase(), query: (op.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name) })));
    expect(routes.length).toBeGreaterThanOrEqual(20);

    const text = fc.string({ maxLength: 40 });
    const weird = fc.oneof(text, fc.constantFrom('', '0', '-1', '1e309', 'NaN', '%00', '../../etc/passwd', "' or 1=1 --", '{"a":1}', 'x'.repeat(3000), '\u0000', '☃', 'true', '[]'));
    const bodyArb = fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 1500 }).map((b) => ({ type: 'application/octet-stream', data: Buffer.from(b) })),
      fc.uint8Array({ maxLength: 1500 }).map((b) => ({ type: 'application/x-protobuf', data: compressBlock(Buffer.from(b)), encoding: 'snappy' })),
      fc.uint8Array({ maxLength: 800 }).map((b) => ({ type: 'application/x-protobuf', data: Buffer.from(b), encoding: 'snappy' })),
      fc.jsonValue().map((v) => ({ type: 'application/json', data: Buffer.from(JSON.stringify(v)) })),
      fc.record({ version: weird, status: weird, alerts: fc.array(fc.record({ status: weird, labels: fc.dictionary(text, weird), startsAt: weird, fingerprint: weird }), { maxLength: 3 }), groupKey: weird }).map((v) => ({ type: 'application/json', data: Buffer.from(JSON.stringify(v)) })),
      fc.record({ on: fc.oneof(fc.boolean(), weird), reason: weird, comment: weird }).map((v) => ({ type: 'application/json', data: Buffer.from(JSON.stringify(v)) })),
      fc.jsonValue().map((v) => ({ type: 'application/x-www-form-urlencoded', data: Buffer.from(`payload=${encodeURIComponent(JSON.stringify(v))}`) })),
      fc.record({ type: fc.constantFrom('block_actions', 'view_submission', 'x'), team: fc.record({ id: fc.constantFrom('T1', 'T2') }), api_app_id: fc.constantFrom('A1', 'A2'), user: fc.record({ id: fc.constantFrom('U1', 'U2') }), actions: fc.array(fc.record({ action_id: weird, value: weird }), { maxLength: 2 }) }).map((v) => ({ type: 'application/x-www-form-urlencoded', data: Buffer.from(`payload=${encodeURIComponent(JSON.stringify(v))}`) })),
      fc.string({ maxLength: 200 }).map((s) => ({ type: fc.sample(fc.constantFrom('text/plain', 'application/json', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-protobuf;proto=io.prometheus.write.v2.Request'), 1)[0]!, data: Buffer.from(s) })),
    );

    const failures: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const outcome = await fc.check(
        fc.asyncProperty(
          fc.array(weird, { minLength: 2, maxLength: 2 }),
          fc.dictionary(fc.oneof(fc.constantFrom(...(route.query.length ? route.query : ['x'])), text), weird, { maxKeys: 4 }),
          bodyArb,
          fc.oneof({ arbitrary: fc.constant('admin'), weight: 4 }, { arbitrary: fc.constantFrom('none', 'garbage', 'am', 'slack'), weight: 3 }),
          fc.option(fc.constantFrom('gzip', 'snappy', 'br', 'identity', 'x-bogus')),
          async (params, query, body, cred, encoding) => {
            let i = 0;
            const p = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++ % params.length]!));
            const qs = new URLSearchParams(query).toString();
            const headers: Record<string, string> = {};
            if (body) headers['content-type'] = body.type;
            const enc = body && 'encoding' in body ? body.encoding : encoding;
            if (enc) headers['content-encoding'] = enc;
            if (cred === 'garbage') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
            if (cred === 'admin') headers.authorization = `Bearer ${ADMIN}`;
            if (cred === 'am') headers.authorization = `Bearer ${AM_TOKEN}`;
            if (cred === 'slack') {
              const ts = Math.floor(Date.now() / 1000);
              headers['x-slack-request-timestamp'] = String(ts);
              headers['x-slack-signature'] = signSlackRequest(SLACK_SECRET, ts, (body?.data ?? Buffer.alloc(0)).toString());
            }
            counts[key] = (counts[key] ?? 0) + 1;
            const t0 = Date.now();
            const res = await fetch(`${daemon.url}${p}${qs ? `?${qs}` : ''}`, {
              method: route.method,
              headers,
              ...(body && route.method !== 'GET' ? { body: body.data } : {}),
              signal: AbortSignal.timeout(5000),
            });
            await res.arrayBuffer();
            const cls = `${res.status}`;
            statuses[cls] = (statuses[cls] ?? 0) + 1;
            if (res.status >= 500) throw new Error(`${key} answered ${res.status} to ${route.method} ${p}?${qs} (${JSON.stringify(headers)}) in ${Date.now() - t0} ms`);
          },
        ),
        { numRuns: RUNS },
      );
      if (outcome.failed) failures.push(`${key}: ${String((outcome.errorInstance as Error | undefined)?.message ?? outcome.errorInstance).split('\n')[0]} (shrunk counterexample ${JSON.stringify(outcome.counterexample)})`);
    }
    if (failures.length) console.log(`FUZZ-FAILURES\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
  }, 120_000);
});
