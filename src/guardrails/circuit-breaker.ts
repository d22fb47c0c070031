import type { Sql } from '../store/db.js';
import type { Clock } from '../lib/clock.js';

export interface CircuitBreakerOptions {
  /** Open after this many failed verifications within `windowMs`. */
  readonly maxFailedVerifications: number;
  /** Open when more than this many distinct targets are anomalous within `windowMs`. */
  readonly maxAnomalousTargets: number;
  readonly windowMs: number;
  /** How long it stays open; it closes by itself afterwards (and re-opens if the cause persists). */
  readonly coolOffMs: number;
}

export interface CircuitState {
  readonly open: boolean;
  readonly reason: string;
  readonly openedAtMs: number | undefined;
  readonly openUntilMs: number | undefined;
}

export interface CircuitChange {
  readonly state: CircuitState;
  /** What tripped it: observed value and limit. */
  readonly observed: number;
  readonly limit: number;
  readonly cause: 'failed_verifications' | 'anomalous_targets';
}

/**
 * The circuit breaker: state and evidence in SQL, shared by every replica. While open, decisions are
 * still proposed but forced to need approval (PolicyEngine's CircuitBreakerStage): nothing runs
 * without a person. Failures counted toward a trip are those after the last time it closed, so one
 * burst opens it once, not again right after the cool-off.
 */
export class CircuitBreaker {
  constructor(
    private readonly sql: Sql,
    private readonly clock: Clock,
    readonly options: CircuitBreakerOptions,
    private readonly onOpen: (change: CircuitChange) => void | Promise<void> = () => undefined,
  ) {}

  async state(): Promise<CircuitState> {
    const now = this.clock.nowMs();
    const { rows } = await this.sql.query<{ open_until_ms: string | number; opened_at_ms: string | number; reason: string }>('select open_until_ms, opened_at_ms, reason from circuit_breaker where id = 1');
    const r = rows[0];
    if (!r) return { open: false, reason: '', openedAtMs: undefined, openUntilMs: undefined };
    const until = Number(r.open_until_ms);
    return { open: now < until, reason: r.reason, openedAtMs: Number(r.opened_at_ms), openUntilMs: until };
  }

  /** Record a verification outcome (the executor calls this after its bake time). */
  async recordVerification(ok: boolean, decisionId?: string): Promise<CircuitState> {
    const now = this.clock.nowMs();
    await this.sql.query('insert into circuit_verifications (at_ms, ok, decision_id) values ($1, $2, $3)', [now, ok, decisionId ?? null]);
    await this.sql.query('delete from circuit_verifications where at_ms < $1', [now - this.options.windowMs * 4]);
    if (ok) return this.state();
    const { rows } = await this.sql.query<{ n: string | number }>(
      `select count(*) as n from circuit_verifications
       where not ok and at_ms >= $1 and at_ms > coalesce((select open_until_ms from circuit_breaker where id = 1), -1)`,
      [now - this.options.windowMs],
    );
    const failed = Number(rows[0]?.n ?? 0);
    if (failed >= this.options.maxFailedVerifications) {
      return this.trip('failed_verifications', failed, this.options.maxFailedVerifications, `${failed} failed verifications within ${this.options.windowMs / 1000}s (limit ${this.options.maxFailedVerifications})`);
    }
    return this.state();
  }

  /** Note that `key` (a service or target) is anomalous now; trips when too many are at once. */
  async observeAnomalous(key: string): Promise<CircuitState> {
    const now = this.clock.nowMs();
    await this.sql.query(
      `insert into circuit_anomalous_targets (key, last_ms) values ($1, $2)
       on conflict (key) do update set last_ms = greatest(circuit_anomalous_targets.last_ms, excluded.last_ms)`,
      [key, now],
    );
    await this.sql.query('delete from circuit_anomalous_targets where last_ms < $1', [now - this.options.windowMs]);
    const { rows } = await this.sql.query<{ n: string | number }>('select count(*) as n from circuit_anomalous_targets where last_ms >= $1', [now - this.options.windowMs]);
    const n = Number(rows[0]?.n ?? 0);
    if (n > this.options.maxAnomalousTargets) {
      const current = await this.state();
      if (current.open) return current;
      return this.trip('anomalous_targets', n, this.options.maxAnomalousTargets, `${n} distinct targets anomalous within ${this.options.windowMs / 1000}s (limit ${this.options.maxAnomalousTargets}): a fleet-wide event, not a per-service fault`);
    }
    return this.state();
  }

  /** Close now (an operator's decision). */
  async reset(): Promise<void> {
    await this.sql.query('update circuit_breaker set open_until_ms = $1 where id = 1', [this.clock.nowMs()]);
  }

  private async trip(cause: CircuitChange['cause'], observed: number, limit: number, reason: string): Promise<CircuitState> {
    const now = this.clock.nowMs();
    const until = now + this.options.coolOffMs;
    const { rows } = await this.sql.query<{ opened_at_ms: string | number; was_open: boolean }>(
      `insert into circuit_breaker (id, open_until_ms, opened_at_ms, reason) values (1, $1, $2, $3)
       on conflict (id) do update set
         opened_at_ms = case when circuit_breaker.open_until_ms > $2 then circuit_breaker.opened_at_ms else excluded.opened_at_ms end,
         reason = case when circuit_breaker.open_until_ms > $2 then circuit_breaker.reason else excluded.reason end,
         open_until_ms = greatest(circuit_breaker.open_until_ms, excluded.open_until_ms)
       returning opened_at_ms, (opened_at_ms < $2) as was_open`,
      [until, now, reason],
    );
    const state = await this.state();
    if (rows[0] && !rows[0].was_open) await this.onOpen({ state, observed, limit, cause });
    return state;
  }
}
