import type { Clock } from './lib/clock.js';
import { RecentList } from './lib/recent.js';
import { inSpan } from './telemetry/tracing.js';
import type { AlertEvidence, Anomaly, Decision, Incident } from './domain/types.js';
import { SYSTEM_ACTOR, type Auditor } from './audit/auditor.js';
import type { DetectionStage } from './detect/stage.js';
import type { IncidentTracker } from './incidents/tracker.js';
import type { PolicyEngine } from './policy/engine.js';
import type { DecisionStore } from './policy/decision-store.js';
import type { GuardrailCheck, SuppressedDecision } from './policy/stages.js';
import type { SeriesStore } from './series/store.js';
import type { Metrics } from './telemetry/metrics.js';
import type { Logger } from './telemetry/logger.js';

/**
 * Where proposed decisions go: straight to the queue, or (issue: approvals) parked until a person
 * approves. The pipeline does not know which.
 */
/** Anomalies kept for the next cycle when one fails part-way (bounded: newest kept). */
const MAX_PENDING_ANOMALIES = 10_000;

export interface DecisionGate {
  submit(decision: Decision): Promise<void>;
}

export interface PipelineDeps {
  readonly store: SeriesStore;
  readonly detection: DetectionStage;
  readonly incidents: IncidentTracker;
  readonly policy: PolicyEngine;
  readonly decisions: DecisionStore;
  readonly gate: DecisionGate;
  /** Only the leader turns anomalies into decisions; every replica ingests, scores and audits. */
  readonly leader?: { isLeader(): boolean };
  readonly auditor: Auditor;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * One detection cycle: score new points → anomalies → incidents → policy → decisions → queue.
 * Every state change is audited before the next stage sees it. Cycles never overlap.
 */
export class Pipeline {
  readonly recentAnomalies = new RecentList<Anomaly>(1000);
  private pending: Anomaly[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly deps: PipelineDeps) {}

  incidents(): Incident[] {
    return this.deps.incidents.list();
  }

  /** Run one cycle; a call during a running cycle waits for it instead of starting another. */
  async runCycle(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.cycle().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private cycle(): Promise<void> {
    return inSpan('aiopsd.detection_cycle', {}, async (span) => {
      // Anomalies a failed cycle could not finish (database down while auditing) go first: a scored point
      // is never silently lost. The tracker and the dedup stage make a retried anomaly change nothing twice.
      const anomalies = [...this.pending.splice(0), ...(await this.deps.detection.runAsync())];
      span.setAttribute('aiopsd.anomalies', anomalies.length);
      for (let i = 0; i < anomalies.length; i++) {
        try {
          await this.onAnomaly(anomalies[i]!);
        } catch (err) {
          this.pending = anomalies.slice(i).slice(-MAX_PENDING_ANOMALIES);
          throw err;
        }
      }
      await this.afterCycle();
    });
  }

  private async afterCycle(): Promise<void> {
    const { detection, incidents, store } = this.deps;
    for (const event of incidents.resolveQuiet()) {
      await this.audit('incident.resolved', event.incident, { incident: summary(event.incident) });
    }
    if (store.sweep() > 0) detection.prune();
  }

  private async onAnomaly(anomaly: Anomaly): Promise<void> {
    const event = this.deps.incidents.observe(anomaly);
    if (event.type !== 'opened' && event.type !== 'updated') return;
    const incident = event.incident;
    if (event.type === 'opened') {
      this.deps.logger.info({ incident: incident.id, group: incident.groupKey, score: anomaly.score }, 'incident opened');
      await this.audit('incident.opened', incident, { incident: summary(incident), evidence: anomaly });
    }
    await this.audit('anomaly', incident, { evidence: anomaly });
    this.recentAnomalies.push(anomaly);
    if (this.deps.leader && !this.deps.leader.isLeader()) return;
    const outcome = await this.deps.policy.evaluate(incident, anomaly);
    for (const s of outcome.suppressed) await this.suppress(s);
    for (const d of outcome.shadow) await this.shadow(d);
    for (const d of outcome.proposed) await this.propose(d, outcome.checks.filter((c) => c.decisionId === d.id));
  }

  /** Alertmanager alerts join incidents as evidence (deduplicated upstream by the receiver). */
  async onAlerts(alerts: readonly AlertEvidence[]): Promise<void> {
    for (const alert of alerts) {
      const event = this.deps.incidents.attachAlert(alert);
      if (event?.type !== 'alert') continue;
      await this.deps.auditor.record({
        kind: event.opened ? 'incident.opened' : 'incident.updated',
        actor: SYSTEM_ACTOR,
        incidentId: event.incident.id,
        body: { incident: summary(event.incident), alert, correlation: { groupKey: alert.groupKey, fingerprint: alert.fingerprint } },
      });
    }
  }

  private async propose(decision: Decision, guardrails: readonly GuardrailCheck[]): Promise<void> {
    await this.deps.decisions.insert(decision);
    await this.deps.auditor.record({
      kind: 'decision.proposed',
      actor: SYSTEM_ACTOR,
      decisionId: decision.id,
      incidentId: decision.incidentId,
      target: decision.action.target,
      body: { action: decision.action, rule: decision.rule, dryRun: decision.dryRun, risk: decision.risk ?? 'low', requiresApproval: decision.requiresApproval ?? false, guardrails, evidence: decision.evidence },
    });
    this.deps.metrics.decisions.inc({ action: decision.action.type, outcome: 'proposed' });
    await this.deps.gate.submit(decision);
  }

  private async suppress(s: SuppressedDecision): Promise<void> {
    const decision = { ...s.decision, status: 'suppressed' as const, reason: `${s.reason}: ${s.detail}` };
    await this.deps.decisions.insert(decision);
    this.deps.metrics.decisions.inc({ action: decision.action.type, outcome: 'suppressed' });
    await this.deps.auditor.record({
      kind: 'decision.suppressed',
      actor: SYSTEM_ACTOR,
      decisionId: decision.id,
      incidentId: decision.incidentId,
      target: decision.action.target,
      body: { action: decision.action, rule: decision.rule, reason: s.reason, detail: s.detail, observed: s.observed, limit: s.limit },
    });
  }

  private async shadow(decision: Decision): Promise<void> {
    this.deps.metrics.decisions.inc({ action: decision.action.type, outcome: 'shadow' });
    await this.deps.auditor.record({
      kind: 'decision.proposed',
      actor: SYSTEM_ACTOR,
      decisionId: decision.id,
      incidentId: decision.incidentId,
      target: decision.action.target,
      body: { action: decision.action, rule: decision.rule, shadow: true, evidence: decision.evidence },
    });
  }

  private async audit(kind: 'incident.opened' | 'incident.resolved' | 'anomaly', incident: Incident, body: Record<string, unknown>): Promise<void> {
    await this.deps.auditor.record({ kind, actor: SYSTEM_ACTOR, incidentId: incident.id, body });
  }
}

function summary(incident: Incident): Record<string, unknown> {
  const { anomalies, alerts, ...rest } = incident;
  return { ...rest, anomalyCount: anomalies.length, alertCount: alerts?.length ?? 0 };
}
