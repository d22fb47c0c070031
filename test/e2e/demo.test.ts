import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { runDemo, type RunningDemo } from '../../src/demo/run.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import type { Decision } from '../../src/domain/types.js';
import type { AuditRecord } from '../../src/audit/types.js';
import { REPO_ROOT, tempDir, testConfig } from '../support/env.js';
import { runCli } from '../support/cli.js';

const KINDS = ['scale-hpa', 'eject-endpoints', 'rollback-canary', 'shift-gslb-weights'] as const;
const tmp = tempDir('aiopsd-demo-');
let demo: RunningDemo | undefined;
afterAll(async () => {
  await demo?.stop();
  tmp.cleanup();
});

async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function approve(base: string, id: string, token: string | undefined): Promise<Response> {
  return fetch(`${base}/api/v1/decisions/${id}/approve`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ reason: 'demo test approves the regional drain' }),
  });
}

describe('aiopsd demo (headless, speed 4)', () => {
  it('every remediation kind happens, is verified (decision and audit), one after an approval with the demo token; the audit chain verifies', async () => {
    const config = testConfig(tmp.dir);
    const lines: string[] = [];
    const started = Date.now();
    demo = await runDemo({ config, logger: silentLogger(), speed: 4, out: (l) => lines.push(l) });
    const base = demo.daemon.url;
    expect(lines.join('\n')).toContain(demo.token);

    let approvedId: string | undefined;
    const verified = new Map<string, Decision>();
    const deadline = started + 150_000;
    while (verified.size < KINDS.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const { decisions } = await getJson<{ decisions: Decision[] }>(`${base}/api/v1/decisions?limit=200`);
      const pending = decisions.find((d) => d.status === 'pending_approval' && d.action.type === 'shift-gslb-weights');
      if (pending && !approvedId) {
        // Anonymous callers are viewers: they can read but not approve.
        expect((await approve(base, pending.id, undefined)).status).toBeGreaterThanOrEqual(401);
        const res = await approve(base, pending.id, demo.token);
        expect(res.status, await res.clone().text()).toBe(200);
        approvedId = pending.id;
      }
      for (const d of decisions) if (d.status === 'verified' && !verified.has(d.action.type)) verified.set(d.action.type, d);
    }
    const elapsedS = (Date.now() - started) / 1000;
    expect([...verified.keys()].sort(), `after ${elapsedS} s:\n${lines.join('\n')}`).toEqual([...KINDS].sort());
    expect(approvedId).toBe(verified.get('shift-gslb-weights')!.id);
    // No remediation was reverted or held on the way.
    const { decisions: all } = await getJson<{ decisions: Decision[] }>(`${base}/api/v1/decisions?limit=500`);
    expect(all.filter((d) => ['reverted', 'held', 'failed'].includes(d.status)).map((d) => `${d.action.type}: ${d.status} ${d.reason ?? ''}`)).toEqual([]);

    const { records } = await getJson<{ records: AuditRecord[] }>(`${base}/api/v1/audit?kind=action.verified&limit=100`);
    for (const kind of KINDS) expect(records.map((r) => r.decisionId), kind).toContain(verified.get(kind)!.id);
    const approvals = await getJson<{ records: AuditRecord[] }>(`${base}/api/v1/audit?decision_id=${approvedId}&limit=100`);
    expect(approvals.records.map((r) => r.kind)).toEqual(expect.arrayContaining(['decision.proposed', 'action.executed', 'action.verified']));
    expect(JSON.stringify(approvals.records)).toContain('demo-approver');

    // The sandbox holds the remediated state.
    const k8s = demo.k8s;
    const hpa = k8s.get({ group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'demo', name: 'checkout' });
    expect((hpa?.spec as { minReplicas: number }).minReplicas).toBe(6);
    const gslb = k8s.get({ group: 'k8gb.absa.oss', resource: 'gslbs', namespace: 'demo', name: 'frontend' });
    expect((gslb?.spec as { strategy: { weight: Record<string, number> } }).strategy.weight).toEqual({ eu: 0, us: 100 });
    expect(demo.world.levers().canaryWeight).toBe(0);
    expect(demo.world.levers().paymentsServing).toHaveLength(2);
    // The status printer polls once a second: give it a moment to print the summary line.
    for (let i = 0; i < 50 && !lines.some((l) => l.includes('ALL four remediation kinds verified')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(lines.join('\n')).toContain('ALL four remediation kinds verified');

    await demo.stop();
    demo = undefined;
    const audit = await runCli(['audit', 'verify', '--data-dir', config.dataDir], { env: { AIOPSD_DATABASE_SCHEMA: config.database.schema } });
    expect(audit.stdout).toContain('audit chain OK');
    expect(audit.code).toBe(0);
  }, 200_000);
});

describe('aiopsd demo CLI', () => {
  it('prints the page URL and the token, and Ctrl-C (SIGINT) stops everything with exit 0', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts'), 'demo', '--port', '0', '--data-dir', path.join(tmp.dir, 'cli')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!out.includes('faults:') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out).toMatch(/web page http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).toMatch(/approver token \(user demo-approver\): aiopsd-demo-[0-9a-f]{32}/);
    const url = /web page (http:\/\/[^/\s]+)\//.exec(out)![1]!;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exit, out).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 90_000);
});
