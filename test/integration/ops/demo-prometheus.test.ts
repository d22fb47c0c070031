import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo, type RunningDemo } from '../../../src/demo/run.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import type { Decision } from '../../../src/domain/types.js';
import { tempDir, testConfig } from '../../support/env.js';
import { at, arr, dashboardQueries, listFiles, ROOT } from '../../unit/ops/files.js';
import { prometheusAvailable, promtoolAvailable, startPrometheus, type RunningPrometheus } from './prometheus.js';
import { remoteWriteBody, REMOTE_WRITE_HEADERS } from '../../support/remote-write.js';

const tmp = tempDir('aiopsd-ops-demo-');
let demo: RunningDemo | undefined;
let prom: RunningPrometheus | undefined;
afterAll(async () => {
  await demo?.stop();
  await prom?.stop();
  tmp.cleanup();
});

/** Grafana's variables as a person would pick them: this job, every instance/service, 1m rate windows. */
export function substitute(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{?job\}?/g, 'aiopsd')
    .replace(/\$\{?(instance|service)\}?/g, '.+');
}

function dashboardExprs(): Array<{ where: string; expr: string }> {
  return listFiles(path.join(ROOT, 'dashboards'), ['.json']).flatMap((file) => {
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const annotations = arr(at(json, 'annotations', 'list'))
      .filter((a) => typeof at(a, 'expr') === 'string')
      .map((a) => ({ where: `annotation "${String(at(a, 'name'))}"`, expr: String(at(a, 'expr')) }));
    return [...dashboardQueries(json), ...annotations].map((q) => ({ where: `${path.basename(file)} ${q.where}`, expr: q.expr }));
  });
}

async function waitForVerified(d: RunningDemo, kinds: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let approved = false;
  while (Date.now() < deadline) {
    const { decisions } = (await (await fetch(`${d.daemon.url}/api/v1/decisions?limit=200`)).json()) as { decisions: Decision[] };
    const pending = decisions.find((x) => x.status === 'pending_approval');
    if (pending && !approved) {
      const res = await fetch(`${d.daemon.url}/api/v1/decisions/${pending.id}/approve`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${d.token}` },
        body: JSON.stringify({ reason: 'ops test' }),
      });
      approved = res.ok;
    }
    if (new Set(decisions.filter((x) => x.status === 'verified').map((x) => x.action.type)).size >= kinds) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`fewer than ${kinds} remediation kinds verified within ${timeoutMs} ms`);
}

describe.skipIf(!prometheusAvailable)('dashboards and /metrics against a real Prometheus 2.42 scraping the demo', () => {
  it('promtool check metrics passes on the live /metrics, and every dashboard panel and annotation query returns data', async () => {
    demo = await runDemo({ config: testConfig(tmp.dir), logger: silentLogger(), speed: 6, out: () => undefined });
    const target = new URL(demo.daemon.url).host;
    prom = await startPrometheus(
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: aiopsd', '    static_configs:', `      - targets: ['${target}']`].join('\n') + '\n',
    );
    await waitForVerified(demo, 4, 150_000);
    // One re-sent sample (counted as a duplicate drop) so the drop panels have a series, then a few more
    // scrapes so every rate() has two points.
    const resent = remoteWriteBody([{ labels: { __name__: 'demo_resent', job: 'test' }, samples: [{ value: 1, timestamp: Date.now() }] }]);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${demo.daemon.url}/api/v1/write`, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body: resent });
      expect(res.status).toBe(204);
    }
    await new Promise((r) => setTimeout(r, 5000));

    const metricsText = await (await fetch(`${demo.daemon.url}/metrics`)).text();
    if (promtoolAvailable) {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: metricsText, encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    }

    const empty: string[] = [];
    for (const q of dashboardExprs()) {
      // Grafana's label_values(metric, label) variable query: the label must have values.
      const lv = /^label_values\((.+),\s*(\w+)\)$/.exec(q.expr.trim());
      const expr = lv ? `count by (${lv[2]}) (${substitute(lv[1]!)})` : substitute(q.expr);
      const result = await prom.query<unknown[]>(expr).catch((err: Error) => [err] as unknown[]);
      if (result.length === 0 || result[0] instanceof Error) empty.push(`${q.where}: ${expr}${result[0] instanceof Error ? ` (${result[0].message})` : ''}`);
    }
    expect(empty, `queries without data (prometheus log: ${prom.log()})`).toEqual([]);
  }, 240_000);
});
