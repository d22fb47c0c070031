import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { AlertEvidence, Anomaly, Incident } from '../domain/types.js';
import type { Metrics } from '../telemetry/metrics.js';

export interface IncidentTrackerOptions {
  readonly resolveAfterMs: number;
  readonly maxAnomaliesPerIncident: number;
}

export type IncidentEvent =
  | { readonly type: 'opened'; readonly incident: Incident; readonly anomaly: Anomaly }
  | { readonly type: 'updated'; readonly incident: Incident; readonly anomaly: Anomaly }
  | { readonly type: 'alert'; readonly incident: Incident; readonly alert: AlertEvidence; readonly opened: boolean }
  | { readonly type: 'resolved'; readonly incident: Incident };

/**
 * Groups anomalies that share a target (their service, else their series) into one open incident,
 * and resolves an incident once no anomaly has joined it for resolveAfterMs.
 */
export class IncidentTracker {
  private readonly open = new Map<string, Incident>();
  private readonly recentlyResolved: Incident[] = [];
  /** When (by the clock) each open group last saw an anomaly; sample timestamps may be old. */
  private readonly lastActivityMs = new Map<string, number>();

  constructor(
    private readonly options: IncidentTrackerOptions,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  observe(anomaly: Anomaly): IncidentEvent {
    const groupKey = anomaly.service ?? anomaly.seriesKey;
    const current = this.open.get(groupKey);
    this.lastActivityMs.set(groupKey, this.clock.nowMs());
    if (current?.anomalies.some((a) => a.id === anomaly.id)) return { type: 'updated', incident: current, anomaly }; // a retried cycle
    if (!current) {
      const incident: Incident = {
        id: newId('inc'),
        groupKey,
        service: anomaly.service,
        status: 'open',
        openedAtMs: anomaly.timestampMs,
        lastAnomalyAtMs: anomaly.timestampMs,
        resolvedAtMs: undefined,
        score: anomaly.score,
        anomalies: [anomaly],
      };
      this.open.set(groupKey, incident);
      this.metrics.incidents.inc({ event: 'opened' });
      this.metrics.incidentsOpen.set(this.open.size);
      return { type: 'opened', incident, anomaly };
    }
    const anomalies = [...current.anomalies, anomaly].slice(-this.options.maxAnomaliesPerIncident);
    const incident: Incident = {
      ...current,
      lastAnomalyAtMs: Math.max(current.lastAnomalyAtMs, anomaly.timestampMs),
      score: Math.max(current.score, anomaly.score),
      anomalies,
    };
    this.open.set(groupKey, incident);
    return { type: 'updated', incident, anomaly };
  }

  /**
   * An Alertmanager alert joins the open incident of its service as evidence; a firing alert with no
   * open incident opens one (score 0: alerts carry no anomaly score). A resolved alert with no open
   * incident changes nothing.
   */
  attachAlert(alert: AlertEvidence): IncidentEvent | undefined {
    const groupKey = alert.service ?? `alert:${alert.alertname}`;
    const current = this.open.get(groupKey);
    if (!current && alert.status === 'resolved') return undefined;
    this.lastActivityMs.set(groupKey, this.clock.nowMs());
    const base: Incident = current ?? {
      id: newId('inc'),
      groupKey,
      service: alert.service,
      status: 'open',
      openedAtMs: alert.startsAtMs,
      lastAnomalyAtMs: alert.startsAtMs,
      resolvedAtMs: undefined,
      score: 0,
      anomalies: [],
    };
    const incident: Incident = { ...base, alerts: [...(base.alerts ?? []), alert].slice(-this.options.maxAnomaliesPerIncident) };
    this.open.set(groupKey, incident);
    if (!current) {
      this.metrics.incidents.inc({ event: 'opened' });
      this.metrics.incidentsOpen.set(this.open.size);
    }
    return { type: 'alert', incident, alert, opened: !current };
  }

  /** Resolve incidents that have been quiet long enough. Uses the clock, not sample timestamps. */
  resolveQuiet(): IncidentEvent[] {
    const nowMs = this.clock.nowMs();
    const events: IncidentEvent[] = [];
    for (const [key, incident] of this.open) {
      if (nowMs - (this.lastActivityMs.get(key) ?? 0) < this.options.resolveAfterMs) continue;
      const resolved: Incident = { ...incident, status: 'resolved', resolvedAtMs: nowMs };
      this.open.delete(key);
      this.lastActivityMs.delete(key);
      this.recentlyResolved.push(resolved);
      if (this.recentlyResolved.length > 200) this.recentlyResolved.shift();
      this.metrics.incidents.inc({ event: 'resolved' });
      events.push({ type: 'resolved', incident: resolved });
    }
    this.metrics.incidentsOpen.set(this.open.size);
    return events;
  }

  list(): Incident[] {
    return [...this.open.values(), ...this.recentlyResolved].sort((a, b) => b.openedAtMs - a.openedAtMs);
  }

  get(id: string): Incident | undefined {
    return this.list().find((i) => i.id === id);
  }
}
