import type { Clock } from '../lib/clock.js';
import { errorMessage } from '../lib/errors.js';
import type { Decision } from '../domain/types.js';
import { SYSTEM_ACTOR, type Auditor } from '../audit/auditor.js';
import type { DecisionStore } from '../policy/decision-store.js';
import type { DecisionGate } from '../pipeline.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { RemediationQueue } from './remediation-queue.js';

/**
 * The gate that sends a decision straight to the queue. The decision is marked queued before the
 * enqueue, so the worker's claim (queued → executing) can never race ahead of it. A failed enqueue
 * (Redis down) marks the decision failed and audits why; nothing is silently dropped.
 */
export class QueueGate implements DecisionGate {
  constructor(
    private readonly queue: RemediationQueue,
    private readonly decisions: DecisionStore,
    private readonly auditor: Auditor,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  async submit(decision: Decision): Promise<void> {
    await this.decisions.setStatus(decision.id, 'queued', this.clock.nowMs());
    decision.status = 'queued';
    try {
      await this.queue.enqueue(decision);
      this.metrics.decisions.inc({ action: decision.action.type, outcome: 'queued' });
    } catch (err) {
      this.logger.error({ decision: decision.id, err: errorMessage(err) }, 'enqueue failed');
      await this.decisions.setStatus(decision.id, 'failed', this.clock.nowMs(), `enqueue failed: ${errorMessage(err)}`);
      await this.auditor.record({
        kind: 'action.failed',
        actor: SYSTEM_ACTOR,
        decisionId: decision.id,
        incidentId: decision.incidentId,
        target: decision.action.target,
        body: { action: decision.action, error: { code: 'queue_unavailable', message: errorMessage(err), retryable: true } },
      });
    }
  }
}
