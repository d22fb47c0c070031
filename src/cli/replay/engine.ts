import { Registry } from 'prom-client';
import type { Config } from '../../config/schema.js';
import type { Anomaly, Decision, Sample } from '../../domain/types.js';
import { ManualClock } from '../../lib/clock.js';
import { createMetrics } from '../../telemetry/metrics.js';
import { SeriesStore } from '../../series/store.js';
import { DetectionStage, familyMatcher } from '../../detect/stage.js';
import type { Detector } from '../../detect/detector.js';
import { IncidentTracker } from '../../incidents/tracker.js';
import { PolicyEngine } from '../../policy/engine.js';
import type { PolicyRule } from '../../policy/rules.js';
import { actionKinds } from '../../actions/registry.js';

/** What aiopsd would have done: one row per decision (proposed, shadow or suppressed). */
export interface ReplayDecision {
  readonly atMs: number;
  readonly at: string;
  readonly rule: string;
  readonly action: string;
  readonly target: string;
  readonly params: Record<string, unknown>;
  /** would_run | would_wait_for_approval | would_dry_run | shadow | suppressed */
  readonly outcome: string;
  readonly reason?: string;
  readonly incidentId: string;
  readonly service: string | undefined;
  readonly metric: string;
  readonly labels: Record<string, string>;
  readonly score: number;
  readonly observed: number;
  readonly expected: number;
}

export interface ReplayIncident {
  readonly id: string;
  readonly group: string;
  readonly openedAt: string;
  readonly resolvedAt: string | undefined;
  readonly anomalies: number;
  readonly maxScore: number;
}

export interface ReplaySummary {
  readonly range: { start: string; end: string };
  readonly stepMs: number;
  readonly samples: number;
  readonly series: number;
  readonly anomalies: number;
  readonly detector: string;
  readonly rules: number;
  readonly incidents: ReplayIncident[];
  readonly decisions: ReplayDecision[];
}

export interface ReplayOptions {
  readonly samples: readonly Sample[];
  readonly rules: readonly PolicyRule[];
  readonly config: Config;
  readonly detector: Detector;
  readonly stepMs: number;
  readonly startMs?: number;
  readonly endMs?: number;
  /** Global dry run of the policy (reported as would_dry_run). */
  readonly dryRun?: boolean;
  readonly cooldownMs?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Replays recorded samples through the daemon's own stages — series store, detection, incidents, policy
 * (with an in-memory cooldown only) — on a clock that follows the data, one step at a time. Shadow
 * mode: no queue, no database, no audit, no Kubernetes; decisions are only reported.
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const samples = [...options.samples].filter((s) => (options.startMs === undefined || s.timestampMs >= options.startMs) && (options.endMs === undefined || s.timestampMs <= options.endMs));
  samples.sort((a, b) => a.timestampMs - b.timestampMs);
  const first = options.startMs ?? samples[0]?.timestampMs ?? 0;
  const last = options.endMs ?? samples[samples.length - 1]?.timestampMs ?? first;
  const clock = new ManualClock(first);
  const metrics = createMetrics(new Registry());
  const { config } = options;
  const store = new SeriesStore({ ...config.series, maxSeries: config.series.maxSeries }, clock, metrics, 'replay');
  const detection = new DetectionStage(store, options.detector, { threshold: config.detect.threshold, familyFor: familyMatcher(config.detect.families), maxNewPointsPerSeries: 100_000 }, metrics);
  const incidents = new IncidentTracker(config.incidents, clock, metrics);
  const policy = new PolicyEngine({ rules: options.rules, dryRun: options.dryRun ?? false, cooldownMs: options.cooldownMs ?? config.policy.cooldownMs, actionKinds }, clock);

  const decisions: ReplayDecision[] = [];
  const seenIncidents = new Map<string, ReplayIncident>();
  const series = new Set<string>();
  let anomalies = 0;
  const record = (d: Decision, a: Anomaly, outcome: string, reason?: string): void => {
    const t = d.action.target;
    decisions.push({
      atMs: a.timestampMs,
      at: new Date(a.timestampMs).toISOString(),
      rule: d.rule,
      action: d.action.type,
      target: `${t.namespace}/${t.name}`,
      params: d.action.params,
      outcome,
      ...(reason ? { reason } : {}),
      incidentId: d.incidentId,
      service: a.service,
      metric: a.metric,
      labels: { ...a.labels },
      score: round(a.score),
      observed: round(a.observed),
      expected: round(a.expected),
    });
  };

  const steps = Math.max(1, Math.ceil((last - first) / options.stepMs) + 1);
  let i = 0;
  for (let step = 0; step < steps; step++) {
    const t = Math.min(last, first + step * options.stepMs);
    const batch: Sample[] = [];
    while (i < samples.length && samples[i]!.timestampMs <= t) batch.push(samples[i++]!);
    for (const s of batch) series.add(JSON.stringify(s.labels));
    clock.set(t);
    if (batch.length > 0) store.append(batch);
    for (const a of detection.run()) {
      anomalies++;
      const event = incidents.observe(a);
      if (event.type !== 'opened' && event.type !== 'updated') continue;
      const inc = event.incident;
      if (event.type === 'opened') seenIncidents.set(inc.id, { id: inc.id, group: inc.groupKey, openedAt: iso(inc.openedAtMs), resolvedAt: undefined, anomalies: 0, maxScore: 0 });
      const entry = seenIncidents.get(inc.id);
      if (entry) seenIncidents.set(inc.id, { ...entry, anomalies: entry.anomalies + 1, maxScore: round(Math.max(entry.maxScore, a.score)) });
      const outcome = await policy.evaluate(inc, a);
      for (const d of outcome.proposed) record(d, a, d.dryRun ? 'would_dry_run' : d.requiresApproval ? 'would_wait_for_approval' : 'would_run');
      for (const d of outcome.shadow) record(d, a, 'shadow');
      for (const s of outcome.suppressed) record(s.decision, a, 'suppressed', `${s.reason}: ${s.detail}`);
    }
    for (const ev of incidents.resolveQuiet()) {
      const entry = seenIncidents.get(ev.incident.id);
      if (entry) seenIncidents.set(ev.incident.id, { ...entry, resolvedAt: iso(ev.incident.resolvedAtMs ?? t) });
    }
    if (step % 50 === 0 || step === steps - 1) options.onProgress?.(step + 1, steps);
    if (step % 200 === 199) await new Promise((r) => setImmediate(r)); // let the progress bar draw
  }
  return {
    range: { start: iso(first), end: iso(last) },
    stepMs: options.stepMs,
    samples: samples.length,
    series: series.size,
    anomalies,
    detector: options.detector.name,
    rules: options.rules.length,
    incidents: [...seenIncidents.values()],
    decisions,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The human table: one row per decision, then the incidents. */
export function formatSummary(s: ReplaySummary): string {
  const lines = [
    `replay ${s.range.start} .. ${s.range.end} (step ${s.stepMs / 1000}s): ${s.samples} samples, ${s.series} series, ${s.anomalies} anomalies, ${s.incidents.length} incidents, ${s.decisions.length} decisions (detector ${s.detector}, ${s.rules} rules; shadow mode: nothing was written)`,
  ];
  if (s.decisions.length > 0) {
    const rows = s.decisions.map((d) => [d.at, d.rule, `${d.action} ${d.target}`, d.outcome + (d.reason ? ` (${d.reason.split(':')[0]})` : ''), `${d.metric}${labelText(d.labels)}`, `${d.score}`]);
    lines.push('', ...table(['when', 'rule', 'action', 'outcome', 'evidence', 'score'], rows));
  }
  if (s.incidents.length > 0) {
    lines.push('', ...table(['incident', 'group', 'opened', 'resolved', 'anomalies', 'max score'], s.incidents.map((i) => [i.id.slice(0, 12), i.group, i.openedAt, i.resolvedAt ?? '(open)', String(i.anomalies), String(i.maxScore)])));
  }
  return lines.join('\n') + '\n';
}

function labelText(labels: Record<string, string>): string {
  const keep = Object.entries(labels).filter(([k]) => k !== '__name__');
  return keep.length ? `{${keep.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, c) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length))));
  const fmt = (r: string[]): string => r.map((x, c) => (x.length > widths[c]! ? `${x.slice(0, widths[c]! - 1)}…` : x.padEnd(widths[c]!))).join('  ').trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}
