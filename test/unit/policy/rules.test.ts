import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePolicy, PolicyError } from '../../../src/policy/rules.js';
import { PolicyEngine } from '../../../src/policy/engine.js';
import { actionKinds } from '../../../src/actions/registry.js';
import { ManualClock } from '../../../src/lib/clock.js';
import type { Anomaly, Incident } from '../../../src/domain/types.js';

const GOOD = `
dryRun: true
rules:
  - name: scale-checkout
    when: { metric: latency, labels: { service: checkout }, score>=: 0.8 }
    action: { type: scale-hpa, target: { namespace: shop, name: "\${service}" }, params: { minReplicas: 6 } }
    cooldownMs: 1000
`;

function anomaly(over: Partial<Anomaly> = {}): Anomaly {
  return { id: 'a', seriesKey: 'k', labels: { __name__: 'latency', service: 'checkout' }, metric: 'latency', service: 'checkout', timestampMs: 0, observed: 2, expected: 1, score: 0.95, detector: 'robust', modelVersion: 'v', ...over };
}
const incident: Incident = { id: 'inc', groupKey: 'checkout', service: 'checkout', status: 'open', openedAtMs: 0, lastAnomalyAtMs: 0, resolvedAtMs: undefined, score: 1, anomalies: [] };

describe('policy rules', () => {
  it('parses a valid file', () => {
    const p = parsePolicy(GOOD);
    expect(p.rules[0]).toMatchObject({ name: 'scale-checkout', when: { 'score>=': 0.8 }, action: { type: 'scale-hpa' } });
  });

  it('names the line of a bad key and a bad value', () => {
    const text = GOOD.replace('cooldownMs: 1000', 'cooldownMs: soon').replace('name: scale-checkout', 'name: scale-checkout\n    colour: blue');
    try {
      parsePolicy(text, 'p.yaml');
      expect.fail('should throw');
    } catch (err) {
      const msg = (err as PolicyError).message;
      expect(msg).toMatch(/line 4: rules\.0: Unrecognized key.*colour/);
      expect(msg).toMatch(/line 8: rules\.0\.cooldownMs: .*number/);
    }
  });

  it('rejects duplicate rule names and broken YAML with a line', () => {
    expect(() => parsePolicy(GOOD + GOOD.split('rules:')[1]!.replace(/^/, ''), 'p')).toThrow(/used twice|line/);
    expect(() => parsePolicy('rules: [\n', 'p')).toThrow(/line \d+/);
  });

  it('rejects unknown action types and bad params at startup', () => {
    const clock = new ManualClock();
    const bad = parsePolicy(GOOD.replace('scale-hpa', 'reboot-cluster'));
    expect(() => new PolicyEngine({ rules: bad.rules, dryRun: true, cooldownMs: 0, actionKinds }, clock)).toThrow(/unknown action type "reboot-cluster"; known: scale-hpa/);
    const badParams = parsePolicy(GOOD.replace('minReplicas: 6', 'minReplicas: -1'));
    expect(() => new PolicyEngine({ rules: badParams.rules, dryRun: true, cooldownMs: 0, actionKinds }, clock)).toThrow(/minReplicas/);
  });

  it('matches, templates the target, and applies the cooldown per (target, action)', async () => {
    const clock = new ManualClock(10_000);
    const engine = new PolicyEngine({ rules: parsePolicy(GOOD).rules, dryRun: true, cooldownMs: 0, actionKinds }, clock);
    const first = await engine.evaluate(incident, anomaly());
    expect(first.proposed).toHaveLength(1);
    expect(first.proposed[0]!.action.target).toEqual({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'shop', name: 'checkout' });
    expect(first.proposed[0]!.dryRun).toBe(true);
    const second = await engine.evaluate(incident, anomaly());
    expect(second.proposed).toHaveLength(0);
    expect(second.suppressed[0]).toMatchObject({ reason: 'cooldown' });
    clock.advance(1001);
    expect((await engine.evaluate(incident, anomaly())).proposed).toHaveLength(1);
  });

  it('does not match below the score, on other metrics or labels', async () => {
    const engine = new PolicyEngine({ rules: parsePolicy(GOOD).rules, dryRun: true, cooldownMs: 0, actionKinds }, new ManualClock());
    expect((await engine.evaluate(incident, anomaly({ score: 0.5 }))).proposed).toHaveLength(0);
    expect((await engine.evaluate(incident, anomaly({ metric: 'other' }))).proposed).toHaveLength(0);
    expect((await engine.evaluate(incident, anomaly({ labels: { service: 'cart' } }))).proposed).toHaveLength(0);
  });

  it('refuses a target that a label value would turn into an invalid name (no injection)', async () => {
    const engine = new PolicyEngine({ rules: parsePolicy(GOOD).rules, dryRun: true, cooldownMs: 0, actionKinds }, new ManualClock());
    const out = await engine.evaluate(incident, anomaly({ service: 'checkout; rm -rf /' }));
    expect(out.proposed).toHaveLength(0);
    expect(out.suppressed[0]).toMatchObject({ reason: 'invalid_target' });
  });

  it('never crashes on arbitrary text: a policy or a PolicyError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parsePolicy(text);
        } catch (err) {
          expect(err).toBeInstanceOf(PolicyError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
