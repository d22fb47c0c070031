/**
 * Two PolicyEngine instances on one PostgreSQL schema = two replicas: the cooldown, the rate limit,
 * the kill switch and the circuit breaker hold across them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import type { Sql } from '../../../src/store/db.js';
import { PolicyEngine } from '../../../src/policy/engine.js';
import { parsePolicy } from '../../../src/policy/rules.js';
import { createGuardrailStages } from '../../../src/policy/guardrails.js';
import { KillSwitch } from '../../../src/guardrails/kill-switch.js';
import { CircuitBreaker } from '../../../src/guardrails/circuit-breaker.js';
import { DecisionStore } from '../../../src/policy/decision-store.js';
import { actionKinds } from '../../../src/actions/registry.js';
import { postgresAvailable } from '../../support/env.js';
import { anomaly, incident, postgresDb, type TestDb } from './helpers.js';

const pg = await postgresAvailable();

const POLICY = `
rules:
  - name: scale
    when: { score>=: 0.5 }
    action: { type: scale-hpa, target: { namespace: shop, name: "\${service}" }, params: { minReplicas: 6 } }
    cooldownMs: 60000
`;

describe.skipIf(!pg)('shared guardrails across two replicas (PostgreSQL)', () => {
  let db: TestDb;
  const sqls: Sql[] = [];
  const clock = new ManualClock(10_000_000);
  let engines: PolicyEngine[];
  let killSwitches: KillSwitch[];

  beforeAll(async () => {
    db = postgresDb();
    for (let i = 0; i < 2; i++) sqls.push(await db.open());
    killSwitches = sqls.map((sql) => new KillSwitch(sql, clock));
    engines = sqls.map(
      (sql, i) =>
        new PolicyEngine(
          {
            rules: parsePolicy(POLICY).rules,
            dryRun: false,
            cooldownMs: 600_000,
            actionKinds,
            stages: createGuardrailStages({
              sql,
              clock,
              killSwitch: killSwitches[i]!,
              circuitBreaker: new CircuitBreaker(sql, clock, { maxFailedVerifications: 2, maxAnomalousTargets: 50, windowMs: 600_000, coolOffMs: 120_000 }),
              cooldownMs: 600_000,
              rateLimit: { capacity: 3, refillPerMinute: 1 },
              maxConcurrentActions: 100,
            }),
          },
          clock,
        ),
    );
  });
  afterAll(async () => {
    for (const s of sqls) await s.close();
    await db?.destroy();
  });

  const svc = (name: string) => anomaly({ service: name, labels: { service: name } });

  it('cooldown: concurrent evaluations on both replicas for one target yield exactly one decision', async () => {
    const outs = await Promise.all([...engines, ...engines].map((e) => e.evaluate(incident({ id: 'inc_a' }), svc('alpha'))));
    expect(outs.flatMap((o) => o.proposed)).toHaveLength(1);
    expect(outs.flatMap((o) => o.suppressed).map((s) => s.reason)).toEqual(['cooldown', 'cooldown', 'cooldown']);
    clock.advance(60_001);
    expect((await engines[1]!.evaluate(incident({ id: 'inc_a' }), svc('alpha'))).proposed).toHaveLength(1);
  });

  it('rate limit: one bucket for both replicas', async () => {
    clock.advance(10 * 60_000); // refill to capacity (3)
    const names = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const outs = [];
    for (const [i, n] of names.entries()) outs.push(await engines[i % 2]!.evaluate(incident({ id: `inc_${n}` }), svc(n)));
    expect(outs.flatMap((o) => o.proposed)).toHaveLength(3);
    const limited = outs.flatMap((o) => o.suppressed);
    expect(limited.map((s) => s.reason)).toEqual(['rate_limit', 'rate_limit']);
    // the rate-limited decision did not use up its cooldown: once tokens are back, it goes through
    clock.advance(60_000);
    expect((await engines[0]!.evaluate(incident({ id: 'inc_r4' }), svc('r4'))).proposed).toHaveLength(1);
  });

  it('kill switch: flipped through one replica, every replica drops with kill_switch; persisted', async () => {
    clock.advance(10 * 60_000);
    await killSwitches[0]!.set(true, { type: 'person', id: 'bob' }, 'game day');
    const out = await engines[1]!.evaluate(incident({ id: 'inc_k' }), svc('kappa'));
    expect(out.proposed).toHaveLength(0);
    expect(out.suppressed[0]).toMatchObject({ reason: 'kill_switch' });
    const fresh = new KillSwitch(await db.open(), clock);
    expect(await fresh.get()).toMatchObject({ on: true, reason: 'game day', actor: { id: 'bob' } });
    await killSwitches[1]!.set(false, { type: 'person', id: 'bob' }, 'over');
    expect((await engines[0]!.evaluate(incident({ id: 'inc_k' }), svc('kappa'))).proposed).toHaveLength(1);
  });

  it('circuit breaker: failures recorded via one replica force approval on the other, until the cool-off', async () => {
    clock.advance(10 * 60_000);
    const breaker = new CircuitBreaker(sqls[0]!, clock, { maxFailedVerifications: 2, maxAnomalousTargets: 50, windowMs: 600_000, coolOffMs: 120_000 });
    await breaker.recordVerification(false, 'dec_x');
    await breaker.recordVerification(false, 'dec_y');
    const out = await engines[1]!.evaluate(incident({ id: 'inc_c' }), svc('gamma'));
    expect(out.proposed[0]).toMatchObject({ requiresApproval: true });
    expect(out.checks.find((c) => c.stage === 'circuit_breaker')).toMatchObject({ result: 'require_approval' });
    clock.advance(120_001 + 600_000);
    expect((await engines[0]!.evaluate(incident({ id: 'inc_c2' }), svc('delta'))).proposed[0]!.requiresApproval).toBe(false);
  });

  it('dedup: a pending decision for the same incident/rule/target blocks a new one on the other replica', async () => {
    clock.advance(10 * 60_000);
    const out = await engines[0]!.evaluate(incident({ id: 'inc_d' }), svc('dd'));
    const d = out.proposed[0]!;
    await new DecisionStore(sqls[0]!).insert({ ...d, status: 'pending_approval' });
    clock.advance(10 * 60_000);
    const again = await engines[1]!.evaluate(incident({ id: 'inc_d' }), svc('dd'));
    expect(again.suppressed[0]).toMatchObject({ reason: 'dedup', observed: 'pending_approval' });
  });
});
