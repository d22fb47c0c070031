/** Owner-specific levers (Flagger, HPA over a Deployment, Route 53), hysteresis and the caps property under a storm of decisions. */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { EjectEndpointsAction } from '../../../src/actions/eject-endpoints.js';
import { FlaggerRollbackRegistry, handleFlaggerRollbackWebhook } from '../../../src/actions/flagger-rollback.js';
import { drainStep, restoreStep, stepLimit, sumOf } from '../../../src/actions/gslb-provider.js';
import { RollbackCanaryAction } from '../../../src/actions/rollback-canary.js';
import { ScaleHpaAction } from '../../../src/actions/scale-hpa.js';
import { ShiftGslbWeightsAction } from '../../../src/actions/shift-gslb-weights.js';
import { createRoute53Client, Route53WeightedRecords } from '../../../src/clients/route53.js';
import type { TargetRef } from '../../../src/domain/types.js';
import { startRoute53Fake, type Route53Fake } from '../../../src/sandbox/route53-fake.js';
import { ANOMALOUS, anomaly, decision, FakeProbe, harness, HEALTHY, readyPod, type Harness } from './harness.js';

const VS: TargetRef = { group: 'networking.istio.io', version: 'v1beta1', resource: 'virtualservices', namespace: 'prod', name: 'web' };
const GSLB: TargetRef = { group: 'k8gb.absa.oss', version: 'v1beta1', resource: 'gslbs', namespace: 'prod', name: 'web' };
const SVC: TargetRef = { group: '', version: 'v1', resource: 'services', namespace: 'prod', name: 'web' };
const DEPLOY: TargetRef = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'prod', name: 'web' };

let h: Harness | undefined;
let r53: Route53Fake | undefined;
afterEach(async () => {
  await h?.close();
  await r53?.close();
  h = undefined;
  r53 = undefined;
});

describe('rollback-canary owned by Flagger', () => {
  it('never edits weights: marks the canary judged-bad; the rollback webhook then answers 200 for that revision only', async () => {
    h = await harness([
      { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'web', namespace: 'prod' }, spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, service: { name: 'web' } } },
      { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'prod', ownerReferences: [{ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'web', uid: 'u1' }] },
        spec: { http: [{ route: [{ destination: { host: 'web-primary' }, weight: 90 }, { destination: { host: 'web-canary' }, weight: 10 }] }] } },
    ]);
    const flagger = new FlaggerRollbackRegistry(h.clock, 300_000);
    expect(handleFlaggerRollbackWebhook(flagger, { name: 'web', namespace: 'prod', phase: 'Progressing', checksum: 'a1' }).status).toBe(404);
    const executor = h.executor([new RollbackCanaryAction(h.kube, flagger)], new FakeProbe([HEALTHY]));
    const result = await executor.run(decision('rollback-canary', VS, {}), { jobId: 'j', attempt: 1 });
    expect(result).toMatchObject({ outcome: 'verified', plan: { after: { lever: 'flagger', canary: 'web', judgedBad: true } } });
    expect(h.srv.totalWrites()).toBe(0);
    expect(h.srv.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(h.store.records.find((r) => r.kind === 'action.executing')?.body).toMatchObject({ ownership: { owner: 'flagger', lever: 'flagger rollback webhook' } });

    expect(handleFlaggerRollbackWebhook(flagger, { name: 'web', namespace: 'prod', phase: 'Progressing', checksum: 'a1', metadata: {} })).toMatchObject({ status: 200, body: { rollback: true } });
    expect(handleFlaggerRollbackWebhook(flagger, { name: 'web', namespace: 'prod', phase: 'Progressing', checksum: 'b2' }).status).toBe(404);
    expect(handleFlaggerRollbackWebhook(flagger, { name: 'other', namespace: 'prod', phase: 'Progressing' }).status).toBe(404);
    expect(handleFlaggerRollbackWebhook(flagger, { namespace: 'prod' }).status).toBe(400);
    expect(handleFlaggerRollbackWebhook(flagger, 'nope').status).toBe(400);
    h.clock.advance(301_000);
    expect(handleFlaggerRollbackWebhook(flagger, { name: 'web', namespace: 'prod', phase: 'Progressing', checksum: 'a1' }).status).toBe(404);
  });

  it('verification failed → the judgement is withdrawn (revert); kill switch → not marked', async () => {
    h = await harness([
      { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'web', namespace: 'prod' }, spec: { service: { name: 'web' } } },
      { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'prod' }, spec: { http: [{ route: [{ destination: { host: 'web-primary' }, weight: 90 }, { destination: { host: 'web-canary' }, weight: 10 }] }] } },
    ]);
    const flagger = new FlaggerRollbackRegistry(h.clock);
    const executor = h.executor([new RollbackCanaryAction(h.kube, flagger)], new FakeProbe([ANOMALOUS]));
    expect((await executor.run(decision('rollback-canary', VS, {}), { jobId: 'j', attempt: 1 })).outcome).toBe('reverted');
    expect(flagger.isBad('prod', 'web')).toBe(false);
    h.killSwitch.on = true;
    expect((await executor.run(decision('rollback-canary', VS, {}), { jobId: 'j', attempt: 1 })).error?.code).toBe('kill_switch');
    expect(flagger.isBad('prod', 'web')).toBe(false);
  });
});

describe('scale-deployment when an HPA owns the Deployment', () => {
  it('uses the HPA lever (minReplicas), never deployments/scale; GitOps ownership is noted', async () => {
    h = await harness([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod', labels: { 'argocd.argoproj.io/instance': 'shop' } }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'a' }] } } } },
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web-hpa', namespace: 'prod' }, spec: { minReplicas: 3, maxReplicas: 10, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } } },
    ]);
    const executor = h.executor([new ScaleHpaAction(h.kube, { maxReplicaChange: 4 }, 'scale-deployment')], new FakeProbe([ANOMALOUS]));
    const result = await executor.run(decision('scale-deployment', DEPLOY, { minReplicas: 20 }), { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('reverted');
    expect(result.plan).toMatchObject({ before: { hpa: 'web-hpa', minReplicas: 3, maxReplicas: 10 }, after: { hpa: 'web-hpa', minReplicas: 7, maxReplicas: 10 } });
    expect(h.srv.requests.some((r) => r.subresource === 'scale' && r.method === 'PATCH')).toBe(false);
    expect(h.srv.writes({ group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'prod', name: 'web-hpa' })).toBe(2);
    expect(h.srv.writes({ group: 'apps', resource: 'deployments', namespace: 'prod', name: 'web' })).toBe(0);
    expect(h.store.records[0]?.body).toMatchObject({ ownership: { owner: 'hpa', gitops: { tool: 'argocd', app: 'shop' } } });
  });

  it('refuses to scale directly when direct scaling is disabled', async () => {
    h = await harness([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'a' }] } } } }]);
    const executor = h.executor([new ScaleHpaAction(h.kube, { maxReplicaChange: 4, allowDirectScale: false }, 'scale-deployment')], new FakeProbe([HEALTHY]));
    expect(await executor.run(decision('scale-deployment', DEPLOY, { minReplicas: 5 }), { jobId: 'j', attempt: 1 })).toMatchObject({ outcome: 'failed', error: { code: 'direct_scale_disabled' } });
    expect(h.srv.totalWrites()).toBe(0);
  });
});

describe('shift-gslb-weights via Route 53 weighted records', () => {
  async function setup(): Promise<{ action: ShiftGslbWeightsAction }> {
    h = await harness([]);
    r53 = await startRoute53Fake();
    r53.seed('Z1', [
      { Name: 'web.example.com.', Type: 'A', SetIdentifier: 'eu', Weight: 100, TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] },
      { Name: 'web.example.com.', Type: 'A', SetIdentifier: 'us', Weight: 100, TTL: 60, ResourceRecords: [{ Value: '10.0.1.1' }] },
    ]);
    const client = createRoute53Client({ endpoint: r53.url, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
    return { action: new ShiftGslbWeightsAction(h.kube, { route53: (t) => new Route53WeightedRecords(client, t) }) };
  }
  const params = { provider: 'route53', route53: { hostedZoneId: 'Z1', recordName: 'web.example.com' } };

  it('drains one step, verifies, and reverts to the recorded weights when verification fails', async () => {
    const { action } = await setup();
    const ok = await h!.executor([action], new FakeProbe([HEALTHY])).run(decision('shift-gslb-weights', GSLB, params, [anomaly({ region: 'eu' })]), { jobId: 'j', attempt: 1 });
    expect(ok).toMatchObject({ outcome: 'verified', plan: { before: { weights: { eu: 100, us: 100 } }, after: { weights: { eu: 50, us: 150 } } } });
    expect(r53!.writes('Z1')).toBe(1);
    const bad = await h!.executor([action], new FakeProbe([ANOMALOUS])).run(decision('shift-gslb-weights', GSLB, params, [anomaly({ region: 'eu' })]), { jobId: 'j', attempt: 1 });
    expect(bad).toMatchObject({ outcome: 'reverted', plan: { before: { weights: { eu: 50, us: 150 } }, after: { weights: { eu: 0, us: 200 } } } });
    expect(r53!.records('Z1').map((r) => [r.SetIdentifier, r.Weight])).toEqual([['eu', 50], ['us', 150]]);
    expect(r53!.writes('Z1')).toBe(3);
  });

  it('a concurrent change → conflict → re-check → re-plan from the new records; kill switch → no change batch', async () => {
    const { action } = await setup();
    r53!.failNextChange('InvalidChangeBatch', 400);
    const result = await h!.executor([action], new FakeProbe([HEALTHY])).run(decision('shift-gslb-weights', GSLB, { ...params, from: 'eu' }), { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('verified');
    expect(h!.rechecks).toHaveLength(1);
    expect(r53!.writes('Z1')).toBe(1);
    h!.killSwitch.on = true;
    await h!.executor([action], new FakeProbe([HEALTHY])).run(decision('shift-gslb-weights', GSLB, { ...params, from: 'eu' }), { jobId: 'j', attempt: 1 });
    expect(r53!.writes('Z1')).toBe(1);
  });

  it('hysteresis: restore is a no-op until the region was healthy for N verifications, then moves one step', async () => {
    const { action } = await setup();
    r53!.mutate('Z1', (rs) => {
      for (const r of rs) r.Weight = r.SetIdentifier === 'eu' ? 0 : 200;
    });
    const restore = { ...params, mode: 'restore', region: 'eu', weights: { eu: 100, us: 100 }, requiredHealthyVerifications: 3 };
    const held = await h!.executor([action], new FakeProbe([HEALTHY])).run(decision('shift-gslb-weights', GSLB, { ...restore, healthyVerifications: 2 }), { jobId: 'j', attempt: 1 });
    expect(held).toMatchObject({ outcome: 'noop', plan: { after: { hysteresis: { holding: true, healthyVerifications: 2, required: 3 } } } });
    expect(r53!.writes('Z1')).toBe(0);
    const moved = await h!.executor([action], new FakeProbe([HEALTHY])).run(decision('shift-gslb-weights', GSLB, { ...restore, healthyVerifications: 3 }), { jobId: 'j', attempt: 1 });
    expect(moved).toMatchObject({ outcome: 'verified', plan: { after: { weights: { eu: 50, us: 150 } } } });
  });
});

describe('caps are never exceeded under a storm of random decisions (property)', () => {
  it('gslb steps: no region moves by more than the step; totals are preserved; the floor holds', () => {
    fc.assert(fc.property(
      fc.dictionary(fc.constantFrom('eu', 'us', 'ap', 'sa'), fc.integer({ min: 0, max: 1000 }), { minKeys: 1 }),
      fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 50 }), fc.nat(), fc.dictionary(fc.constantFrom('eu', 'us', 'ap', 'sa'), fc.integer({ min: 0, max: 1000 })),
      (weights, pct, floor, pick, target) => {
        const regions = Object.keys(weights);
        const from = regions[pick % regions.length]!;
        const step = stepLimit(weights, pct);
        const drained = drainStep(weights, from, pct, floor);
        expect(sumOf(drained)).toBe(sumOf(weights));
        for (const r of regions) {
          expect(Math.abs((drained[r] ?? 0) - (weights[r] ?? 0))).toBeLessThanOrEqual(step);
          expect(drained[r]).toBeGreaterThanOrEqual(0);
          expect(Number.isInteger(drained[r])).toBe(true);
        }
        expect(drained[from]).toBeGreaterThanOrEqual(Math.min(weights[from]!, floor));
        const restored = restoreStep(weights, target, pct);
        for (const r of regions) expect(Math.abs((restored[r] ?? 0) - (weights[r] ?? 0))).toBeLessThanOrEqual(step);
      },
    ), { numRuns: 500 });
  });

  it('eject-endpoints: repeated decisions never quarantine more than floor(share × endpoints) of a Service', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 9 }), fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
      fc.array(fc.record({ pods: fc.uniqueArray(fc.integer({ min: 0, max: 8 }), { maxLength: 6 }), share: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) }), { minLength: 1, maxLength: 4 }),
      async (n, ready, storm) => {
        const hh = await harness([
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'prod' }, spec: { selector: { app: 'web' } } },
          ...Array.from({ length: n }, (_, i) => {
            const pod = readyPod(`web-${i}`, { app: 'web' });
            if (ready[i] === false) pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] };
            return pod;
          }),
        ]);
        try {
          const endpoints = ready.slice(0, n).filter((r) => r).length;
          const executor = hh.executor([new EjectEndpointsAction(hh.kube, { maxEjectShare: 0.34 })], new FakeProbe([HEALTHY]));
          for (const d of storm) {
            const params = { pods: d.pods.map((i) => `web-${i}`), ...(d.share === undefined ? {} : { maxEjectShare: d.share }) };
            await executor.run(decision('eject-endpoints', SVC, params), { jobId: 'j', attempt: 1 });
            const quarantined = hh.srv.store.list('', 'pods', 'prod').filter((p) => p.metadata?.labels?.['aiopsd.io/quarantine'] === 'true').length;
            expect(quarantined).toBeLessThanOrEqual(Math.floor(0.34 * endpoints + 1e-9));
          }
        } finally {
          await hh.close();
        }
      },
    ), { numRuns: 25 });
  });

  it('scale-hpa: minReplicas/maxReplicas never move by more than maxReplicaChange per decision', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 6 }),
      fc.array(fc.record({ min: fc.integer({ min: 1, max: 200 }), max: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }) }), { minLength: 1, maxLength: 4 }),
      async (min, extra, cap, storm) => {
        const hpa: TargetRef = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'prod', name: 'web' };
        const hh = await harness([{ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'prod' }, spec: { minReplicas: min, maxReplicas: min + extra, scaleTargetRef: { kind: 'Deployment', name: 'web' } } }]);
        try {
          const executor = hh.executor([new ScaleHpaAction(hh.kube, { maxReplicaChange: cap })], new FakeProbe([HEALTHY]));
          for (const d of storm) {
            const before = hh.srv.get(hpa)?.spec as { minReplicas: number; maxReplicas: number };
            const params = { minReplicas: d.min, ...(d.max === undefined ? {} : { maxReplicas: Math.max(d.min, d.max) }) };
            await executor.run(decision('scale-hpa', hpa, params), { jobId: 'j', attempt: 1 });
            const after = hh.srv.get(hpa)?.spec as { minReplicas: number; maxReplicas: number };
            expect(Math.abs(after.minReplicas - before.minReplicas)).toBeLessThanOrEqual(cap);
            expect(after.maxReplicas - before.maxReplicas).toBeLessThanOrEqual(cap);
          }
        } finally {
          await hh.close();
        }
      },
    ), { numRuns: 25 });
  });
});

describe('executor and the worker\'s ledger context', () => {
  const HPA: TargetRef = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'prod', name: 'web' };
  const seed = [{ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'prod' }, spec: { minReplicas: 2, maxReplicas: 10, scaleTargetRef: { kind: 'Deployment', name: 'web' } } }];

  it('calls beginSideEffect once right before the first write (instead of auditing executing itself)', async () => {
    h = await harness(seed);
    const begun: unknown[] = [];
    const executor = h.executor([new ScaleHpaAction(h.kube, { maxReplicaChange: 5 })], new FakeProbe([HEALTHY]));
    h.srv.failNext({ method: 'PATCH', dryRun: false }, 409);
    const result = await executor.run(decision('scale-hpa', HPA, { minReplicas: 4 }), {
      jobId: 'j', attempt: 1,
      beginSideEffect: (body) => {
        begun.push(body);
        return Promise.resolve();
      },
      killSwitchOn: () => Promise.resolve(false),
    });
    expect(result.outcome).toBe('verified');
    expect(begun).toHaveLength(1);
    expect(begun[0]).toMatchObject({ plan: { after: { minReplicas: 4 } } });
    expect(h.kinds()).toEqual(['action.executing', 'action.executed', 'action.verified']); // the retry round is audited here
  });

  it('an error from beginSideEffect (claim lost) propagates untouched and nothing is written; the shared kill switch is honoured', async () => {
    h = await harness(seed);
    const executor = h.executor([new ScaleHpaAction(h.kube, { maxReplicaChange: 5 })], new FakeProbe([HEALTHY]));
    class ClaimLost extends Error {}
    await expect(executor.run(decision('scale-hpa', HPA, { minReplicas: 4 }), { jobId: 'j', attempt: 1, beginSideEffect: () => Promise.reject(new ClaimLost('lost')) })).rejects.toBeInstanceOf(ClaimLost);
    expect(h.srv.totalWrites()).toBe(0);
    const off = await executor.run(decision('scale-hpa', HPA, { minReplicas: 4 }), { jobId: 'j', attempt: 1, killSwitchOn: () => Promise.resolve(true) });
    expect(off.error?.code).toBe('kill_switch');
    expect(h.srv.totalWrites()).toBe(0);
  });
});
