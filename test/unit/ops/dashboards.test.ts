import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { arr, at, dashboardPanels, dashboardQueries, listFiles, rel, ROOT } from './files.js';

const files = listFiles(path.join(ROOT, 'dashboards'), ['.json']);
const dashboards = files.map((f) => ({ file: rel(f), text: readFileSync(f, 'utf8'), json: JSON.parse(readFileSync(f, 'utf8')) as unknown }));

describe('Grafana dashboards', () => {
  it('ships the overview and daemon dashboards', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual(['dashboards/aiopsd-daemon.json', 'dashboards/aiopsd-overview.json']);
  });

  describe.each(dashboards.map((d) => [d.file, d] as const))('%s', (_file, d) => {
    const panels = dashboardPanels(d.json);

    it('has schemaVersion 39, a stable uid, no numeric id, and a ${datasource} variable of type prometheus', () => {
      expect(at(d.json, 'schemaVersion')).toBe(39);
      expect(at(d.json, 'uid')).toMatch(/^aiopsd-[a-z-]+$/);
      expect(at(d.json, 'id')).toBeNull();
      const vars = arr(at(d.json, 'templating', 'list'));
      const ds = vars.find((v) => at(v, 'name') === 'datasource');
      expect([at(ds, 'type'), at(ds, 'query')]).toEqual(['datasource', 'prometheus']);
    });

    it('every panel and query variable uses the ${datasource} variable, never a fixed data source', () => {
      for (const p of panels.filter((x) => x.type !== 'row')) expect(p.datasource, String(p.title)).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const v of arr(at(d.json, 'templating', 'list')).filter((x) => at(x, 'type') === 'query')) {
        expect(at(v, 'datasource'), String(at(v, 'name'))).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
      for (const p of panels) for (const t of arr(p.targets)) expect(at(t, 'datasource') ?? p.datasource).toEqual(p.datasource);
    });

    it('panels have unique ids, titles, a description, targets, and fit a 24-column grid without overlap', () => {
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const p of panels) {
        expect(String(p.title ?? '').length, `panel ${String(p.id)}`).toBeGreaterThan(0);
        const { x, y, w, h } = p.gridPos as { x: number; y: number; w: number; h: number };
        expect(x + w, String(p.title)).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${String(p.title)} overlaps at ${i},${j}`).toBe(false);
            cells.add(`${i},${j}`);
          }
        }
        if (p.type === 'row') continue;
        expect(String(p.description ?? '').length, `${String(p.title)} description`).toBeGreaterThan(10);
        expect(arr(p.targets).length, String(p.title)).toBeGreaterThan(0);
        const refIds = arr(p.targets).map((t) => at(t, 'refId'));
        expect(new Set(refIds).size, String(p.title)).toBe(refIds.length);
      }
    });

    it('rate() and increase() use Grafana\'s $__rate_interval or a fixed window, and every selector is filtered by $job', () => {
      for (const q of dashboardQueries(d.json)) {
        for (const m of q.expr.matchAll(/\b(?:rate|increase)\([^[]*\[([^\]]+)\]/g)) expect(m[1], `${q.where}: ${q.expr}`).toMatch(/^(\$__rate_interval|\$__range|\d+[smhd])$/);
        if (!q.expr.startsWith('label_values(aiopsd_build_info, job)')) expect(q.expr, q.where).toMatch(/job=~"\$job"/);
      }
    });
  });

  it('the overview and daemon dashboards show what the brief asks for', () => {
    const exprs = (file: string): string => dashboardQueries(dashboards.find((d) => d.file === file)?.json).map((q) => q.expr).join('\n');
    const overview = exprs('dashboards/aiopsd-overview.json');
    for (const m of ['aiopsd_anomaly_score', 'aiopsd_anomalies_total', 'aiopsd_incidents_open', 'aiopsd_decisions_total', 'aiopsd_jobs_total']) expect(overview).toContain(m);
    const daemon = exprs('dashboards/aiopsd-daemon.json');
    for (const m of [
      'aiopsd_ingest_samples_total', 'aiopsd_ingest_dropped_samples_total', 'aiopsd_series_active', 'aiopsd_series_refused_total',
      'aiopsd_queue_jobs', 'aiopsd_job_duration_seconds_bucket', 'aiopsd_detect_batch_duration_seconds_bucket',
      'aiopsd_detect_windows_scored_total', 'aiopsd_audit_records_total', 'aiopsd_audit_append_errors_total', 'aiopsd_dependency_up',
      'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds',
    ]) expect(daemon).toContain(m);
  });
});

describe('dashboards/configmap.yaml', () => {
  const committed = readFileSync(path.join(ROOT, 'dashboards/configmap.yaml'), 'utf8');

  it('equals the output of scripts/gen-dashboard-configmap.js (run it after editing a dashboard)', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-dashboard-configmap.js', '--stdout'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(committed === r.stdout, 'dashboards/configmap.yaml is stale: run node scripts/gen-dashboard-configmap.js').toBe(true);
  });

  it('holds one ConfigMap per dashboard, labelled for the Grafana sidecar, with the JSON byte for byte', () => {
    const docs = parseAllDocuments(committed).map((doc) => doc.toJS() as unknown);
    expect(docs.length).toBe(dashboards.length);
    for (const d of dashboards) {
      const cm = docs.find((x) => at(x, 'data', path.basename(d.file)) !== undefined);
      expect(at(cm, 'kind'), d.file).toBe('ConfigMap');
      expect(at(cm, 'metadata', 'labels', 'grafana_dashboard')).toBe('1');
      expect(at(cm, 'data', path.basename(d.file))).toBe(d.text);
    }
  });
});
