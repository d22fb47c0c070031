/** Each guardrail stage alone, driven by a ManualClock, on an embedded PGlite database. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import type { Sql } from '../../../src/store/db.js';
import { DecisionStore } from '../../../src/policy/decision-store.js';
import { KillSwitch } from '../../../src/guardrails/kill-switch.js';
import { SqlCooldownStore } from '../../../src/guardrails/cooldown-store.js';
import { SqlTokenBucket } from '../../../src/guardrails/rate-limit.js';
import { CircuitBreaker, type CircuitChange } from '../../../src/guardrails/circuit-breaker.js';
import { createGuardrailRecheck } from '../../../src/policy/guardrails.js';
import { CircuitBreakerStage, CooldownStage, DedupStage, KillSwitchStage, MaxConcurrentStage, RateLimitStage, type StageContext } from '../../../src/policy/stages.js';
import { anomaly, decision, incident, pgliteDb, type TestDb } from '../../integration/policy/helpers.js';

let db: TestDb;
let sql: Sql;
let clock: ManualClock;
const ctx = (cooldownMs?: number): StageContext => ({ incident: incident(), anomaly: anomaly(), ruleByName: (name) => (cooldownMs === undefined ? undefined : ({ name, cooldownMs } as never)) });
const person = { type: 'person', id: 'alice', authMethod: 'token' } as const;

beforeAll(async () => {
  db = await pgliteDb();
  sql = await db.open();
});
afterAll(async () => {
  await sql.close();
  await db.destroy();
});
beforeEach(async () => {
  clock = new ManualClock(1_000_000);
  for (const t of ['decisions', 'policy_cooldowns', 'rate_limit_buckets', 'kill_switch', 'circuit_breaker', 'circuit_verifications', 'circuit_anomalous_targets', 'execution_ledger']) await sql.query(`delete from ${t}`);
});

describe('KillSwitchStage', () => {
  it('passes when off, drops everything with reason kill_switch when on, and the state persists', async () => {
    const ks = new KillSwitch(sql, clock);
    const stage = new KillSwitchStage(ks);
    expect((await stage.apply([decision()])).kept).toHaveLength(1);
    await ks.set(true, person, 'incident review');
    const out = await stage.apply([decision(), decision({ dryRun: true })]);
    expect(out.kept).toHaveLength(0);
    expect(out.dropped.map((d) => d.reason)).toEqual(['kill_switch', 'kill_switch']);
    expect(out.dropped[0]!.detail).toMatch(/alice: incident review/);
    // a second instance (a restart, another replica) reads the same state
    expect(await new KillSwitch(sql, clock).isOn()).toBe(true);
    await ks.set(false, person, 'done');
    expect(await new KillSwitch(sql, clock).isOn()).toBe(false);
  });

  it('config forcedOn wins and refuses to be turned off; a reason is required', async () => {
    const forced = new KillSwitch(sql, clock, { forcedOn: true });
    expect(await forced.isOn()).toBe(true);
    expect((await forced.get()).forced).toBe(true);
    await expect(forced.set(false, person, 'x')).rejects.toMatchObject({ code: 'kill_switch_forced', httpStatus: 409 });
    await expect(new KillSwitch(sql, clock).set(true, person, ' ')).rejects.toMatchObject({ code: 'invalid_reason' });
  });

  it('fails closed when the state cannot be read', async () => {
    const broken = { query: async () => { throw new Error('db down'); } } as unknown as Sql;
    const ks = new KillSwitch(broken, clock);
    expect(await ks.isOn()).toBe(true);
    const out = await new KillSwitchStage(ks).apply([decision()]);
    expect(out.dropped[0]).toMatchObject({ reason: 'kill_switch' });
  });
});

describe('sync view and 409 re-check', () => {
  it('isOnCached fails closed until read, then follows the last read', async () => {
    const ks = new KillSwitch(sql, clock);
    expect(ks.isOnCached()).toBe(true);
    await ks.get();
    expect(ks.isOnCached()).toBe(false);
    await ks.set(true, person, 'x');
    expect(ks.isOnCached()).toBe(true);
  });

  it('createGuardrailRecheck: false when the kill switch is on, or the breaker is open for an unapproved decision', async () => {
    const ks = new KillSwitch(sql, clock);
    const breaker = new CircuitBreaker(sql, clock, { maxFailedVerifications: 1, maxAnomalousTargets: 100, windowMs: 60_000, coolOffMs: 60_000 });
    const recheck = createGuardrailRecheck({ killSwitch: ks, circuitBreaker: breaker });
    expect(await recheck(decision())).toBe(true);
    await breaker.recordVerification(false);
    expect(await recheck(decision())).toBe(false);
    expect(await recheck(decision({ requiresApproval: true }))).toBe(true);
    await ks.set(true, person, 'x');
    expect(await recheck(decision({ requiresApproval: true }))).toBe(false);
  });
});

describe('DedupStage', () => {
  it('drops a decision for the same incident + rule + target while one is pending, queued or executing', async () => {
    const store = new DecisionStore(sql);
    const stage = new DedupStage(sql);
    const first = decision({ status: 'queued' });
    await store.insert(first);
    const out = await stage.apply([decision(), decision({ rule: 'other' }), decision({ incidentId: 'inc_2' })]);
    expect(out.dropped).toHaveLength(1);
    expect(out.dropped[0]).toMatchObject({ reason: 'dedup', observed: 'queued' });
    expect(out.dropped[0]!.detail).toContain(first.id);
    expect(out.kept).toHaveLength(2);
    await store.setStatus(first.id, 'executed', 1);
    expect((await stage.apply([decision()])).kept).toHaveLength(1);
  });

  it('drops duplicates within one evaluation', async () => {
    const out = await new DedupStage(sql).apply([decision(), decision()]);
    expect(out.kept).toHaveLength(1);
    expect(out.dropped[0]).toMatchObject({ reason: 'dedup' });
  });
});

describe('CooldownStage (shared in SQL)', () => {
  it('one decision per (target, action) within the cooldown; rule cooldown overrides the default', async () => {
    const stage = new CooldownStage(new SqlCooldownStore(sql), 60_000, clock);
    expect((await stage.apply([decision()], ctx())).kept).toHaveLength(1);
    clock.advance(59_000);
    const second = await stage.apply([decision()], ctx());
    expect(second.dropped[0]).toMatchObject({ reason: 'cooldown', observed: 59_000, limit: 60_000 });
    expect(second.dropped[0]!.detail).toMatch(/cooldown 60s \(1s left\)/);
    // another target is independent; a dry-run decision has its own key
    expect((await stage.apply([decision({ action: { ...decision().action, target: { ...decision().action.target, name: 'cart' } } })], ctx())).kept).toHaveLength(1);
    expect((await stage.apply([decision({ dryRun: true })], ctx())).kept).toHaveLength(1);
    clock.advance(1_000);
    expect((await stage.apply([decision()], ctx())).kept).toHaveLength(1);
    clock.advance(5_000);
    expect((await stage.apply([decision()], ctx(1_000))).kept).toHaveLength(1);
  });

  it('release() gives the slot back when a later stage dropped the decision', async () => {
    const stage = new CooldownStage(new SqlCooldownStore(sql), 60_000, clock);
    const d = decision();
    expect((await stage.apply([d], ctx())).kept).toHaveLength(1);
    await stage.release(d);
    expect((await stage.apply([decision()], ctx())).kept).toHaveLength(1);
  });
});

describe('RateLimitStage (token bucket in SQL)', () => {
  it('allows a burst of capacity, then refills continuously; dry runs are not counted', async () => {
    const stage = new RateLimitStage(new SqlTokenBucket(sql, { capacity: 2, refillPerMinute: 1 }), clock);
    const out = await stage.apply([decision(), decision(), decision(), decision({ dryRun: true })]);
    expect(out.kept).toHaveLength(3);
    expect(out.dropped).toHaveLength(1);
    expect(out.dropped[0]).toMatchObject({ reason: 'rate_limit', observed: 0, limit: '2 burst, 1/min' });
    expect(out.dropped[0]!.detail).toMatch(/next in 60s/);
    clock.advance(30_000);
    expect((await stage.apply([decision()])).dropped).toHaveLength(1);
    clock.advance(30_000);
    expect((await stage.apply([decision()])).kept).toHaveLength(1);
  });

  it('refunds the token of a decision a later stage dropped', async () => {
    const stage = new RateLimitStage(new SqlTokenBucket(sql, { capacity: 1, refillPerMinute: 0 }), clock);
    const d = decision();
    expect((await stage.apply([d])).kept).toHaveLength(1);
    await stage.release(d);
    expect((await stage.apply([decision()])).kept).toHaveLength(1);
    expect((await stage.apply([decision()])).kept).toHaveLength(0);
  });
});

describe('MaxConcurrentStage', () => {
  it('counts live decisions queued/executing/approved and caps new ones', async () => {
    const store = new DecisionStore(sql);
    await store.insert(decision({ status: 'executing' }));
    await store.insert(decision({ status: 'queued' }));
    await store.insert(decision({ status: 'queued', dryRun: true }));
    await store.insert(decision({ status: 'executed' }));
    const stage = new MaxConcurrentStage(sql, 3);
    const out = await stage.apply([decision(), decision(), decision({ dryRun: true })]);
    expect(out.kept).toHaveLength(2);
    expect(out.dropped[0]).toMatchObject({ reason: 'max_concurrent', observed: 3, limit: 3 });
  });
});

describe('CircuitBreaker + CircuitBreakerStage', () => {
  const opts = { maxFailedVerifications: 3, maxAnomalousTargets: 2, windowMs: 60_000, coolOffMs: 300_000 };

  it('opens after K failed verifications in the window, forces approval while open, closes after the cool-off', async () => {
    const opened: CircuitChange[] = [];
    const breaker = new CircuitBreaker(sql, clock, opts, (c) => void opened.push(c));
    const stage = new CircuitBreakerStage(breaker);
    await breaker.recordVerification(false);
    await breaker.recordVerification(true);
    clock.advance(61_000); // the first failure leaves the window
    await breaker.recordVerification(false);
    expect((await breaker.recordVerification(false)).open).toBe(false);
    const s = await breaker.recordVerification(false);
    expect(s.open).toBe(true);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ cause: 'failed_verifications', observed: 3, limit: 3 });
    const out = await stage.apply([decision(), decision({ dryRun: true })]);
    expect(out.dropped).toHaveLength(0);
    expect(out.kept[0]!.requiresApproval).toBe(true);
    expect(out.kept[1]!.requiresApproval).toBeUndefined();
    expect(out.checks?.[0]).toMatchObject({ stage: 'circuit_breaker', result: 'require_approval', observed: 'open' });
    // shared: another instance sees it open
    expect((await new CircuitBreaker(sql, clock, opts).state()).open).toBe(true);
    clock.advance(300_001);
    expect((await breaker.state()).open).toBe(false);
    // the old failures do not re-open it at once
    expect((await breaker.recordVerification(false)).open).toBe(false);
    expect((await stage.apply([decision()])).kept[0]!.requiresApproval).toBeUndefined();
  });

  it('opens when more than N distinct targets are anomalous within the window (observe)', async () => {
    const breaker = new CircuitBreaker(sql, clock, opts);
    const stage = new CircuitBreakerStage(breaker);
    for (const svc of ['a', 'b', 'a']) await stage.observe({ ...ctx(), incident: incident({ groupKey: svc }) });
    expect((await breaker.state()).open).toBe(false);
    await stage.observe({ ...ctx(), incident: incident({ groupKey: 'c' }) });
    const s = await breaker.state();
    expect(s.open).toBe(true);
    expect(s.reason).toMatch(/3 distinct targets anomalous.*limit 2/);
  });
});
