import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardQueries, listFiles, rel, ROOT, ruleExprs } from './files.js';
import { exportedMetricNames, metricNamesIn } from './promql.js';

describe('metricNamesIn (PromQL tokenizer)', () => {
  it.each([
    ['up{job="aiopsd"} == 0', ['up']],
    ['sum by (job, instance) (rate(aiopsd_ingest_samples_total[5m])) == 0 and on (job, instance) up{job="a"} == 1', ['aiopsd_ingest_samples_total', 'up']],
    ['histogram_quantile(0.99, sum by (le, detector) (rate(x_bucket{job=~"$job"}[$__rate_interval])))', ['x_bucket']],
    ['sum(rate(a_total[5m])) without (instance) / ignoring(code) group_left(source) b', ['a_total', 'b']],
    ['topk(10, max by (service) (s{service=~"${service}", x="}by(on)"}))', ['s']],
    ['60 * sum(increase(c_total[$__range] offset 1h)) > 1e3', ['c_total']],
    ['rate(d_total[5m:30s]) > bool 0.5 unless e', ['d_total', 'e']],
    ['{__name__="named_metric", job="x"}', ['named_metric']],
    ['label_values(aiopsd_build_info{job=~"$job"}, instance)', ['aiopsd_build_info']],
    ['label_values(job)', []],
    ['absent(up{job="aiopsd"})', ['up']],
    ['label_replace(f, "dst", "$1", "src", "(.*)")', ['f']],
  ])('%s', (expr, expected) => {
    expect(metricNamesIn(expr).sort()).toEqual([...expected].sort());
  });
});

describe('dashboards and alert rules reference only metrics aiopsd exports', async () => {
  const exported = await exportedMetricNames();

  it('the registry has the aiopsd metrics and the prom-client defaults the dashboards use', () => {
    for (const name of ['aiopsd_ingest_samples_total', 'aiopsd_job_duration_seconds_bucket', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(exported.has(name), name).toBe(true);
    }
  });

  const sources: Array<{ file: string; where: string; expr: string }> = [];
  for (const file of listFiles(path.join(ROOT, 'alerts'), ['.yaml', '.yml']).filter((f) => !f.includes(`${path.sep}tests${path.sep}`))) {
    for (const r of ruleExprs(file)) sources.push({ file: rel(file), where: `rule ${r.name}`, expr: r.expr });
  }
  for (const file of listFiles(path.join(ROOT, 'dashboards'), ['.json'])) {
    for (const q of dashboardQueries(JSON.parse(readFileSync(file, 'utf8')))) sources.push({ file: rel(file), ...q });
  }

  it('finds rules and dashboard queries to check', () => {
    expect(sources.filter((s) => s.file.startsWith('alerts')).length).toBeGreaterThanOrEqual(7);
    expect(sources.filter((s) => s.file.startsWith('dashboards')).length).toBeGreaterThanOrEqual(20);
  });

  it.each(sources.map((s) => [`${s.file}: ${s.where}`, s] as const))('%s', (_label, s) => {
    const names = metricNamesIn(s.expr);
    expect(names.length, `no metric found in ${s.expr}`).toBeGreaterThan(0);
    const unknown = names.filter((n) => !exported.has(n));
    expect(unknown, `unknown metric(s) in ${s.expr}`).toEqual([]);
  });
});
