import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { arr, at, dashboardQueries, listFiles, readYaml, ROOT, ruleExprs } from './files.js';

const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasPromtool) console.warn('[skip] promtool is not installed (apt-get install prometheus): promtool checks are SKIPPED');

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, ...(input !== undefined ? { input } : {}) });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe.skipIf(!hasPromtool)('promtool', () => {
  it('check rules: alerts/aiopsd-rules.yaml is valid', () => {
    const r = promtool(['check', 'rules', 'alerts/aiopsd-rules.yaml']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('test rules: every alert fires on its series and stays silent on healthy ones', () => {
    const tests = readdirSync(path.join(ROOT, 'alerts/tests')).filter((f) => f.endsWith('.yaml')).map((f) => `alerts/tests/${f}`);
    expect(tests.length).toBeGreaterThan(0);
    const r = promtool(['test', 'rules', ...tests]);
    expect(r.status, r.output).toBe(0);
  });

  it('every dashboard panel query is valid PromQL (checked as recording rules, Grafana variables filled in)', () => {
    const rules = listFiles(path.join(ROOT, 'dashboards'), ['.json']).flatMap((file) =>
      dashboardQueries(JSON.parse(readFileSync(file, 'utf8')))
        .filter((q) => q.where.startsWith('panel'))
        .map((q, i) => ({
          record: `dashboard:${path.basename(file, '.json').replace(/-/g, '_')}:${i}`,
          expr: q.expr.replace(/\$__rate_interval/g, '1m').replace(/\$__range/g, '1h').replace(/\$\{?\w+\}?/g, '.+'),
        })),
    );
    expect(rules.length).toBeGreaterThan(20);
    const dir = mkdtempSync(path.join(tmpdir(), 'aiopsd-dash-'));
    try {
      const file = path.join(dir, 'dashboard-queries.yaml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
      const r = promtool(['check', 'rules', file]);
      expect(r.status, r.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check metrics: the /metrics exposition has no lint problems', async () => {
    const m = createMetrics(new Registry());
    m.buildInfo.set({ version: '0.1.0', node: process.version }, 1);
    m.ingestRequests.inc({ source: 'remote_write', code: '204' });
    m.ingestSamples.inc({ source: 'remote_write' }, 100);
    m.ingestDropped.inc({ source: 'remote_write', reason: 'duplicate' });
    m.ingestBytes.inc({ source: 'remote_write' }, 2048);
    m.seriesActive.set(10);
    m.seriesRefused.inc();
    m.windowsScored.inc({ detector: 'robust' }, 10);
    m.scoringDuration.observe({ detector: 'robust' }, 0.002);
    m.insufficientData.set(2);
    m.anomalies.inc({ detector: 'robust' });
    m.anomalyScore.set({ service: 'checkout' }, 0.97);
    m.incidentsOpen.set(1);
    m.incidents.inc({ event: 'opened' });
    m.decisions.inc({ action: 'scale-hpa', outcome: 'queued' });
    m.jobs.inc({ action: 'scale-hpa', outcome: 'executed' });
    m.jobDuration.observe({ action: 'scale-hpa' }, 0.4);
    m.queueDepth.set({ state: 'waiting' }, 0);
    m.auditRecords.inc({ kind: 'decision_proposed' });
    m.auditErrors.inc(0);
    m.dependencyUp.set({ dependency: 'redis' }, 1);
    const text = await m.registry.metrics();
    expect(text).toContain('aiopsd_job_duration_seconds_bucket');
    expect(text).toContain('process_resident_memory_bytes');
    const r = promtool(['check', 'metrics'], text);
    expect(r.output, 'promtool check metrics reported problems').toBe('');
    expect(r.status).toBe(0);
  });
});

describe('alerts/tests', () => {
  it('the rule tests cover every alert, with a firing case and a silent case', () => {
    const alerts = ruleExprs(path.join(ROOT, 'alerts/aiopsd-rules.yaml')).map((r) => r.name);
    const fired = new Set<string>();
    const silent = new Set<string>();
    for (const f of readdirSync(path.join(ROOT, 'alerts/tests')).filter((n) => n.endsWith('.yaml'))) {
      for (const t of arr(at(readYaml(path.join(ROOT, 'alerts/tests', f)), 'tests'))) {
        for (const c of arr(at(t, 'alert_rule_test'))) {
          const name = String(at(c, 'alertname'));
          (arr(at(c, 'exp_alerts')).length > 0 ? fired : silent).add(name);
        }
      }
    }
    expect(alerts.filter((a) => !fired.has(a)), 'alerts without a firing test').toEqual([]);
    expect(alerts.filter((a) => !silent.has(a)), 'alerts without a silent test').toEqual([]);
  });
});

describe('alerts/aiopsd-rules.yaml', () => {
  const rules = arr(at(readYaml(path.join(ROOT, 'alerts/aiopsd-rules.yaml')), 'groups')).flatMap((g) => arr(at(g, 'rules')));
  it.each(rules.map((r) => [String(at(r, 'alert')), r] as const))('%s has severity, summary, description and a runbook', (name, rule) => {
    expect(name).toMatch(/^Aiopsd[A-Za-z]+$/);
    expect(['critical', 'warning', 'info']).toContain(at(rule, 'labels', 'severity'));
    for (const key of ['summary', 'description']) expect(String(at(rule, 'annotations', key) ?? '').length, key).toBeGreaterThan(10);
    expect(at(rule, 'annotations', 'runbook_url')).toBe(`docs/OPERATIONS.md#${name.toLowerCase()}`);
  });
});
