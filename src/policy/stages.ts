import type { Clock } from '../lib/clock.js';
import type { Sql } from '../store/db.js';
import type { Anomaly, Decision, Incident } from '../domain/types.js';
import type { PolicyRule } from './rules.js';
import type { KillSwitch } from '../guardrails/kill-switch.js';
import type { SqlCooldownStore } from '../guardrails/cooldown-store.js';
import type { SqlTokenBucket } from '../guardrails/rate-limit.js';
import type { CircuitBreaker } from '../guardrails/circuit-breaker.js';

/** Stable reason codes a stage drops a decision with (they appear in audit records and metrics). */
export type SuppressReason =
  | 'invalid_target'
  | 'kill_switch'
  | 'dedup'
  | 'cooldown'
  | 'rate_limit'
  | 'max_concurrent'
  | 'guardrail_error';

export interface SuppressedDecision {
  readonly decision: Decision;
  /** Stable reason code (audited), e.g. cooldown, invalid_target. */
  readonly reason: SuppressReason | (string & {});
  /** For people: what was observed and what the limit is. */
  readonly detail: string;
  readonly observed?: number | string | boolean;
  readonly limit?: number | string | boolean;
}

/** One guardrail's verdict on one decision, for the audit record ("each guardrail's result"). */
export interface GuardrailCheck {
  readonly stage: string;
  readonly decisionId: string;
  readonly result: 'pass' | 'drop' | 'require_approval';
  readonly observed?: number | string | boolean;
  readonly limit?: number | string | boolean;
  readonly detail?: string;
}

export interface StageResult {
  readonly kept: Decision[];
  readonly dropped: SuppressedDecision[];
  readonly checks?: GuardrailCheck[];
}

export interface StageContext {
  readonly incident: Incident;
  readonly anomaly: Anomaly;
  ruleByName(name: string): PolicyRule | undefined;
}

/** One guardrail: keeps or drops each decision, and says why it dropped one. */
export interface PolicyStage {
  readonly name: string;
  apply(decisions: readonly Decision[], ctx: StageContext): Promise<StageResult>;
  /** Called for every evaluation, even when no rule matched (the circuit breaker counts anomalous targets). */
  observe?(ctx: StageContext): Promise<void>;
  /**
   * Undo what apply() reserved for a decision that a later stage dropped (cooldown slot, rate-limit
   * token), so a dropped decision does not use up a budget.
   */
  release?(decision: Decision): Promise<void>;
}

export function targetActionKey(d: Decision): string {
  const t = d.action.target;
  return `${d.action.type}|${t.group}/${t.resource}|${t.namespace}/${t.name}`;
}

function dropped(decision: Decision, reason: SuppressReason, detail: string, observed?: number | string | boolean, limit?: number | string | boolean): SuppressedDecision {
  return { decision, reason, detail, ...(observed !== undefined && { observed }), ...(limit !== undefined && { limit }) };
}

function drop(s: SuppressedDecision): GuardrailCheck {
  return { stage: s.reason, decisionId: s.decision.id, result: 'drop', detail: s.detail, ...(s.observed !== undefined && { observed: s.observed }), ...(s.limit !== undefined && { limit: s.limit }) };
}

/** Kill switch on: every decision is dropped (reason kill_switch). Fails closed on a read error. */
export class KillSwitchStage implements PolicyStage {
  readonly name = 'kill_switch';
  constructor(private readonly killSwitch: KillSwitch) {}

  async apply(decisions: readonly Decision[]): Promise<StageResult> {
    if (decisions.length === 0) return { kept: [], dropped: [] };
    const { on, detail } = await readOrFailClosed('kill switch', async () => {
      const s = await this.killSwitch.get();
      const why = s.forced ? 'kill switch forced on by config' : `kill switch on since ${s.updatedAtMs === undefined ? '?' : new Date(s.updatedAtMs).toISOString()} by ${s.actor?.id ?? '?'}: ${s.reason}`;
      return { on: s.on, detail: why };
    });
    if (!on) return { kept: [...decisions], dropped: [], checks: decisions.map((d) => ({ stage: this.name, decisionId: d.id, result: 'pass', observed: false, limit: false })) };
    const out = decisions.map((d) => dropped(d, 'kill_switch', detail, true, false));
    return { kept: [], dropped: out, checks: out.map(drop) };
  }
}

/** A guard whose state cannot be read counts as tripped (fail closed), and says why. */
async function readOrFailClosed(name: string, read: () => Promise<{ on: boolean; detail: string }>): Promise<{ on: boolean; detail: string }> {
  try {
    return await read();
  } catch (err) {
    return { on: true, detail: `${name} state unreadable (${(err as Error).message}); failing closed` };
  }
}

const PENDING_STATUSES = ['proposed', 'pending_approval', 'approved', 'queued', 'executing'];

/** Same incident + rule + target (and action) already pending, queued or executing: drop (reason dedup). */
export class DedupStage implements PolicyStage {
  readonly name = 'dedup';
  constructor(private readonly sql: Sql) {}

  async apply(decisions: readonly Decision[]): Promise<StageResult> {
    const kept: Decision[] = [];
    const out: SuppressedDecision[] = [];
    const checks: GuardrailCheck[] = [];
    const seen = new Set<string>();
    for (const d of decisions) {
      const key = `${d.incidentId}|${d.rule}|${targetActionKey(d)}`;
      if (seen.has(key)) {
        out.push(dropped(d, 'dedup', `another decision for ${key} in the same evaluation`, 1, 0));
        continue;
      }
      const t = d.action.target;
      const { rows } = await this.sql.query<{ id: string; status: string }>(
        `select id, status from decisions
         where incident_id = $1 and rule = $2 and action->>'type' = $3
           and action->'target'->>'namespace' = $4 and action->'target'->>'name' = $5 and action->'target'->>'resource' = $6
           and status = any($7::text[])
         order by created_at_ms desc limit 1`,
        [d.incidentId, d.rule, d.action.type, t.namespace, t.name, t.resource, PENDING_STATUSES],
      );
      const existing = rows[0];
      if (existing) {
        out.push(dropped(d, 'dedup', `decision ${existing.id} for the same incident, rule and target is still ${existing.status}`, existing.status, 'none pending'));
        continue;
      }
      seen.add(key);
      kept.push(d);
      checks.push({ stage: this.name, decisionId: d.id, result: 'pass', observed: 0, limit: 0 });
    }
    return { kept, dropped: out, checks: [...checks, ...out.map(drop)] };
  }
}

/**
 * At most one decision per (target, action) within the cooldown (per rule, else the default). The
 * last-decision time lives in SQL (SqlCooldownStore) so all replicas share it. Dry-run decisions
 * have their own key: a dry-run rule never blocks a live one.
 */
export class CooldownStage implements PolicyStage {
  readonly name = 'cooldown';
  private readonly reserved = new Map<string, { key: string; previousMs: number | undefined }>();

  constructor(
    private readonly store: SqlCooldownStore,
    private readonly defaultCooldownMs: number,
    private readonly clock: Clock,
  ) {}

  async apply(decisions: readonly Decision[], ctx: StageContext): Promise<StageResult> {
    const kept: Decision[] = [];
    const out: SuppressedDecision[] = [];
    const checks: GuardrailCheck[] = [];
    const nowMs = this.clock.nowMs();
    for (const decision of decisions) {
      const key = targetActionKey(decision) + (decision.dryRun ? '|dry-run' : '');
      const cooldownMs = ctx.ruleByName(decision.rule)?.cooldownMs ?? this.defaultCooldownMs;
      const claim = await this.store.claim(key, nowMs, cooldownMs, decision.id);
      if (!claim.ok) {
        const ago = nowMs - claim.lastMs;
        const leftS = Math.ceil((cooldownMs - ago) / 1000);
        out.push(dropped(decision, 'cooldown', `last decision for ${key}${claim.lastDecisionId ? ` (${claim.lastDecisionId})` : ''} was ${Math.round(ago / 1000)}s ago; cooldown ${cooldownMs / 1000}s (${leftS}s left)`, ago, cooldownMs));
        continue;
      }
      this.reserved.set(decision.id, { key, previousMs: claim.previousMs });
      kept.push(decision);
      checks.push({ stage: this.name, decisionId: decision.id, result: 'pass', ...(claim.previousMs !== undefined && { observed: nowMs - claim.previousMs }), limit: cooldownMs });
    }
    return { kept, dropped: out, checks: [...checks, ...out.map(drop)] };
  }

  async release(decision: Decision): Promise<void> {
    const r = this.reserved.get(decision.id);
    if (!r) return;
    this.reserved.delete(decision.id);
    await this.store.release(r.key, decision.id, r.previousMs);
  }

  /** Forget reservations of decisions that went through (called by the engine after each evaluation). */
  settle(ids: Iterable<string>): void {
    for (const id of ids) this.reserved.delete(id);
  }
}

/** A global token bucket over live (non-dry-run) decisions, shared in SQL. */
export class RateLimitStage implements PolicyStage {
  readonly name = 'rate_limit';
  private readonly taken = new Set<string>();

  constructor(
    private readonly bucket: SqlTokenBucket,
    private readonly clock: Clock,
  ) {}

  async apply(decisions: readonly Decision[]): Promise<StageResult> {
    const kept: Decision[] = [];
    const out: SuppressedDecision[] = [];
    const checks: GuardrailCheck[] = [];
    for (const d of decisions) {
      if (d.dryRun) {
        kept.push(d);
        continue;
      }
      const r = await this.bucket.take(this.clock.nowMs());
      if (!r.ok) {
        const { capacity, refillPerMinute } = this.bucket.options;
        out.push(dropped(d, 'rate_limit', `global rate limit: ${r.tokens.toFixed(2)} token(s) left of ${capacity}, refill ${refillPerMinute}/min (next in ${Math.ceil(r.retryAfterMs / 1000)}s)`, Number(r.tokens.toFixed(3)), `${capacity} burst, ${refillPerMinute}/min`));
        continue;
      }
      this.taken.add(d.id);
      kept.push(d);
      checks.push({ stage: this.name, decisionId: d.id, result: 'pass', observed: Number(r.tokensLeft.toFixed(3)), limit: this.bucket.options.capacity });
    }
    return { kept, dropped: out, checks: [...checks, ...out.map(drop)] };
  }

  async release(decision: Decision): Promise<void> {
    if (!this.taken.delete(decision.id)) return;
    await this.bucket.refund();
  }

  settle(ids: Iterable<string>): void {
    for (const id of ids) this.taken.delete(id);
  }
}

/**
 * Blast radius at the policy level: at most `max` live actions queued or executing at once (counted
 * in SQL across replicas). The per-action caps (share of endpoints ejected, replica change, weight
 * moved per step) are enforced by the actions themselves.
 */
export class MaxConcurrentStage implements PolicyStage {
  readonly name = 'max_concurrent';
  constructor(
    private readonly sql: Sql,
    private readonly max: number,
  ) {}

  async apply(decisions: readonly Decision[]): Promise<StageResult> {
    if (!decisions.some((d) => !d.dryRun)) return { kept: [...decisions], dropped: [] };
    const { rows } = await this.sql.query<{ n: string | number }>(
      `select count(*) as n from decisions where status in ('approved', 'queued', 'executing') and not dry_run`,
    );
    let active = Number(rows[0]?.n ?? 0);
    const kept: Decision[] = [];
    const out: SuppressedDecision[] = [];
    const checks: GuardrailCheck[] = [];
    for (const d of decisions) {
      if (d.dryRun) {
        kept.push(d);
        continue;
      }
      if (active >= this.max) {
        out.push(dropped(d, 'max_concurrent', `${active} live action(s) approved, queued or executing; the cap is ${this.max}`, active, this.max));
        continue;
      }
      checks.push({ stage: this.name, decisionId: d.id, result: 'pass', observed: active, limit: this.max });
      active += 1;
      kept.push(d);
    }
    return { kept, dropped: out, checks: [...checks, ...out.map(drop)] };
  }
}

/**
 * While the circuit breaker is open, decisions are still proposed but forced to need approval:
 * nothing runs without a person. Also feeds the breaker with every anomalous target it sees.
 */
export class CircuitBreakerStage implements PolicyStage {
  readonly name = 'circuit_breaker';
  constructor(private readonly breaker: CircuitBreaker) {}

  async observe(ctx: StageContext): Promise<void> {
    await this.breaker.observeAnomalous(ctx.incident.groupKey);
  }

  async apply(decisions: readonly Decision[]): Promise<StageResult> {
    if (decisions.length === 0) return { kept: [], dropped: [] };
    const { on: open, detail: reason } = await readOrFailClosed('circuit breaker', async () => {
      const s = await this.breaker.state();
      return { on: s.open, detail: s.open ? `circuit breaker open until ${new Date(s.openUntilMs!).toISOString()}: ${s.reason}` : 'closed' };
    });
    if (!open) return { kept: [...decisions], dropped: [], checks: decisions.map((d) => ({ stage: this.name, decisionId: d.id, result: 'pass', observed: 'closed', limit: 'closed' })) };
    const kept = decisions.map((d) => (d.dryRun || d.requiresApproval ? d : { ...d, requiresApproval: true }));
    return { kept, dropped: [], checks: decisions.map((d) => ({ stage: this.name, decisionId: d.id, result: d.dryRun ? 'pass' : 'require_approval', observed: 'open', limit: 'closed', detail: reason })) };
  }
}

/** In-process cooldown (one replica, no database): the engine's default when no stages are given. */
export class MemoryCooldownStage implements PolicyStage {
  readonly name = 'cooldown';
  private readonly lastAtMs = new Map<string, { atMs: number; previous: number | undefined; id: string }>();

  constructor(
    private readonly defaultCooldownMs: number,
    private readonly clock: Clock,
  ) {}

  async apply(decisions: readonly Decision[], ctx: StageContext): Promise<StageResult> {
    const kept: Decision[] = [];
    const out: SuppressedDecision[] = [];
    const nowMs = this.clock.nowMs();
    for (const decision of decisions) {
      const key = targetActionKey(decision) + (decision.dryRun ? '|dry-run' : '');
      const cooldownMs = ctx.ruleByName(decision.rule)?.cooldownMs ?? this.defaultCooldownMs;
      const last = this.lastAtMs.get(key)?.atMs;
      if (last !== undefined && nowMs - last < cooldownMs) {
        const leftS = Math.ceil((cooldownMs - (nowMs - last)) / 1000);
        out.push(dropped(decision, 'cooldown', `last decision for ${key} was ${Math.round((nowMs - last) / 1000)}s ago; cooldown ${cooldownMs / 1000}s (${leftS}s left)`, nowMs - last, cooldownMs));
        continue;
      }
      this.lastAtMs.set(key, { atMs: nowMs, previous: last, id: decision.id });
      kept.push(decision);
    }
    return { kept, dropped: out, checks: out.map(drop) };
  }

  async release(decision: Decision): Promise<void> {
    const key = targetActionKey(decision) + (decision.dryRun ? '|dry-run' : '');
    const e = this.lastAtMs.get(key);
    if (e?.id !== decision.id) return;
    if (e.previous === undefined) this.lastAtMs.delete(key);
    else this.lastAtMs.set(key, { atMs: e.previous, previous: undefined, id: '' });
  }
}
