import { describe, expect, it } from 'vitest';
import { parsePolicy, PolicyError } from '../../../src/policy/rules.js';
import { PolicyEngine } from '../../../src/policy/engine.js';
import { actionKinds } from '../../../src/actions/registry.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { anomaly, incident } from '../../integration/policy/helpers.js';

const engineFor = (yaml: string, dryRun = false): PolicyEngine => new PolicyEngine({ rules: parsePolicy(yaml).rules, dryRun, cooldownMs: 0, actionKinds }, new ManualClock(5_000));
const rule = (when: string, extra = ''): string => `
rules:
  - name: r
    when: ${when}
    action: { type: scale-hpa, target: { namespace: shop, name: checkout }, params: { minReplicas: 6 } }${extra}
`;

describe('rule matching', () => {
  it('service, metric_re (anchored), Prometheus-style label operators', async () => {
    const e = engineFor(rule(`{ service: checkout, metric_re: "http_.*_seconds", labels: { env: "=~prod|staging", zone: "!=eu-1", canary: "!~true|yes", team: shop }, score>=: 0.5 }`));
    const labels = { env: 'prod', zone: 'us-1', team: 'shop' };
    const ok = anomaly({ metric: 'http_request_seconds', labels });
    expect(e.matchingRules(incident(), ok)).toHaveLength(1);
    expect(e.matchingRules(incident(), { ...ok, service: 'cart' })).toHaveLength(0);
    expect(e.matchingRules(incident(), { ...ok, metric: 'x_http_request_seconds' })).toHaveLength(0);
    expect(e.matchingRules(incident(), { ...ok, labels: { ...labels, env: 'production' } })).toHaveLength(0);
    expect(e.matchingRules(incident(), { ...ok, labels: { ...labels, zone: 'eu-1' } })).toHaveLength(0);
    expect(e.matchingRules(incident(), { ...ok, labels: { ...labels, canary: 'yes' } })).toHaveLength(0);
    expect(e.matchingRules(incident(), { ...ok, labels: { ...labels, team: 'other' } })).toHaveLength(0);
  });

  it('forMs: the incident must have been anomalous at least that long', async () => {
    const e = engineFor(rule('{ forMs: 120000, score>=: 0.5 }'));
    expect(e.matchingRules(incident({ openedAtMs: 0 }), anomaly({ timestampMs: 119_999 }))).toHaveLength(0);
    expect(e.matchingRules(incident({ openedAtMs: 0 }), anomaly({ timestampMs: 120_000 }))).toHaveLength(1);
  });

  it('risk, approval and per-rule dry run travel with the decision; a rule cannot undo the global dry run', async () => {
    const high = await engineFor(rule('{ score>=: 0.5 }', '\n    risk: high')).evaluate(incident(), anomaly());
    expect(high.proposed[0]).toMatchObject({ risk: 'high', requiresApproval: true, dryRun: false });
    const low = await engineFor(rule('{ score>=: 0.5 }', '\n    approval: { required: true }\n    dryRun: true')).evaluate(incident(), anomaly());
    expect(low.proposed[0]).toMatchObject({ risk: 'low', requiresApproval: true, dryRun: true });
    const global = await engineFor(rule('{ score>=: 0.5 }', '\n    dryRun: false'), true).evaluate(incident(), anomaly());
    expect(global.proposed[0]!.dryRun).toBe(true);
    const shadow = await engineFor(rule('{ score>=: 0.5 }', '\n    shadow: true')).evaluate(incident(), anomaly());
    expect(shadow.proposed).toHaveLength(0);
    expect(shadow.shadow[0]).toMatchObject({ status: 'shadow' });
  });

  it('explains bad regexes, metric + metric_re, and high risk without approval, by line', () => {
    const msg = (yaml: string): string => {
      try {
        parsePolicy(yaml, 'p.yaml');
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyError);
        return (err as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(msg(rule('{ metric_re: "(" }'))).toMatch(/line 4: rules\.0\.when\.metric_re: not a valid regular expression/);
    expect(msg(rule('{ labels: { env: "=~[" } }'))).toMatch(/line 4: rules\.0\.when\.labels\.env: .*valid regex/);
    expect(msg(rule('{ metric: a, metric_re: b }'))).toMatch(/line 4: rules\.0\.when: use either metric or metric_re/);
    expect(msg(rule('{ score>=: 0.5 }', '\n    risk: high\n    approval: { required: false }'))).toMatch(/line 7: rules\.0\.approval\.required: a high-risk rule always needs approval/);
    expect(msg('rules:\n  - name: a\n    when: {}\n    action: { type: x, target: { namespace: a, name: b } }\n  - name: a\n    when: {}\n    action: { type: x, target: { namespace: a, name: b } }\n')).toMatch(/line 5: rules\.1\.name: the name a is used twice/);
  });
});
