import type { Sql } from '../store/db.js';
import type { Clock } from '../lib/clock.js';
import { SqlCooldownStore } from '../guardrails/cooldown-store.js';
import { SqlTokenBucket } from '../guardrails/rate-limit.js';
import type { KillSwitch } from '../guardrails/kill-switch.js';
import type { CircuitBreaker } from '../guardrails/circuit-breaker.js';
import { CircuitBreakerStage, CooldownStage, DedupStage, KillSwitchStage, MaxConcurrentStage, RateLimitStage, type PolicyStage } from './stages.js';

export interface GuardrailStageOptions {
  readonly sql: Sql;
  readonly clock: Clock;
  readonly killSwitch: KillSwitch;
  readonly circuitBreaker: CircuitBreaker;
  /** Default cooldown per (target, action) when the rule sets none. */
  readonly cooldownMs: number;
  readonly rateLimit: { readonly capacity: number; readonly refillPerMinute: number };
  readonly maxConcurrentActions: number;
}

/**
 * The standard guardrail pipeline, in order: kill switch → dedup → circuit breaker → max concurrent →
 * cooldown → rate limit. Read-only checks first; the two that reserve a shared budget (cooldown slot,
 * rate-limit token) last, so a decision dropped by a read-only check never uses one up.
 */
export function createGuardrailStages(o: GuardrailStageOptions): PolicyStage[] {
  return [
    new KillSwitchStage(o.killSwitch),
    new DedupStage(o.sql),
    new CircuitBreakerStage(o.circuitBreaker),
    new MaxConcurrentStage(o.sql, o.maxConcurrentActions),
    new CooldownStage(new SqlCooldownStore(o.sql), o.cooldownMs, o.clock),
    new RateLimitStage(new SqlTokenBucket(o.sql, o.rateLimit), o.clock),
  ];
}

/**
 * The executor's re-check after a 409, before it retries a write (promise 7): the kill switch must be
 * off, and while the circuit breaker is open only decisions a person approved may continue. Fails
 * closed on a read error.
 */
export function createGuardrailRecheck(o: { killSwitch: Pick<KillSwitch, 'isOn'>; circuitBreaker: Pick<CircuitBreaker, 'state'> }): (decision: { requiresApproval?: boolean; dryRun: boolean }) => Promise<boolean> {
  return async (decision) => {
    try {
      if (await o.killSwitch.isOn()) return false;
      if (!decision.dryRun && !decision.requiresApproval && (await o.circuitBreaker.state()).open) return false;
      return true;
    } catch {
      return false;
    }
  };
}
