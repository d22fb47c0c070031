/**
 * Every action through the real ActionExecutor, against the sandbox apiserver over @kubernetes/client-node:
 * plan, dry run, execute, verify ok, verify failed → revert, inconclusive → held + page, 409 → re-check →
 * retry, 403 → audited failure, kill switch → no write, opt-out (target and namespace) → no write.
 * Writes are counted at the fake API server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Action } from '../../../src/actions/action.js';
import { EjectEndpointsAction } from '../../../src/actions/eject-endpoints.js';
import { FlaggerRollbackRegistry } from '../../../src/actions/flagger-rollback.js';
import { RollbackCanaryAction } from '../../../src/actions/rollback-canary.js';
import { ScaleHpaAction } from '../../../src/actions/scale-hpa.js';
import { ShiftGslbWeightsAction } from '../../../src/actions/shift-gslb-weights.js';
import type { KubernetesApi } from '../../../src/clients/kubernetes.js';
import type { Anomaly, TargetRef } from '../../../src/domain/types.js';
import type { K8sApiServer, K8sObject, RbacRule } from '../../../src/sandbox/k8s-api-server.js';
import { ANOMALOUS, anomaly, decision, FakeProbe, harness, HEALTHY, NO_DATA, readyPod, type Harness } from './harness.js';

interface Scenario {
  readonly name: string;
  readonly type: string;
  readonly target: TargetRef;
  readonly params: Record<string, unknown>;
  readonly evidence: Anomaly[];
  readonly seed: K8sObject[];
  make(kube: KubernetesApi, flagger: FlaggerRollbackRegistry): Action;
  /** true when the change is in place, false when the original state is, undefined otherwise. */
  applied(srv: K8sApiServer, flagger: FlaggerRollbackRegistry): boolean | undefined;
  /** Real writes at the API server that one execute makes. */
  readonly writes: number;
  /** RBAC that can read everything but not make this action's write. */
  readonly readOnly: RbacRule[];
  readonly bakeMs: number;
}

const ns: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } };
const READ_ALL: RbacRule = { verbs: ['get', 'list', 'watch'], groups: ['*'], resources: ['*'] };

const HPA: TargetRef = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'prod', name: 'web' };
const DEPLOY: TargetRef = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'prod', name: 'web' };
const SVC: TargetRef = { group: '', version: 'v1', resource: 'services', namespace: 'prod', name: 'web' };
const GSLB: TargetRef = { group: 'k8gb.absa.oss', version: 'v1beta1', resource: 'gslbs', namespace: 'prod', name: 'web' };
const VS: TargetRef = { group: 'networking.istio.io', version: 'v1beta1', resource: 'virtualservices', namespace: 'prod', name: 'web' };
const ROLLOUT = { group: 'argoproj.io', resource: 'rollouts', namespace: 'prod', name: 'web' };

const vsObject = (extraMeta: Record<string, unknown> = {}): K8sObject => ({
  apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'prod', ...extraMeta },
  spec: { hosts: ['web'], http: [{ name: 'primary', route: [{ destination: { host: 'web', subset: 'stable' }, weight: 80 }, { destination: { host: 'web', subset: 'canary' }, weight: 20 }] }] },
});
const vsWeights = (srv: K8sApiServer): number[] =>
  ((srv.get({ ...VS })?.spec as { http: { route: { weight: number }[] }[] }).http[0]?.route ?? []).map((r) => r.weight);

const SCENARIOS: Scenario[] = [
  {
    name: 'scale-hpa (HPA minReplicas)', type: 'scale-hpa', target: HPA, params: { minReplicas: 6 }, evidence: [], writes: 1, bakeMs: 120_000,
    seed: [{ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'prod' }, spec: { minReplicas: 2, maxReplicas: 10, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } } }],
    make: (kube) => new ScaleHpaAction(kube, { maxReplicaChange: 5 }),
    applied: (srv) => tri((srv.get(HPA)?.spec as { minReplicas: number }).minReplicas, 6, 2),
    readOnly: [READ_ALL],
  },
  {
    name: 'scale-deployment (deployments/scale, no HPA)', type: 'scale-deployment', target: DEPLOY, params: { minReplicas: 5 }, evidence: [], writes: 1, bakeMs: 120_000,
    seed: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } } }],
    make: (kube) => new ScaleHpaAction(kube, { maxReplicaChange: 5 }, 'scale-deployment'),
    applied: (srv) => tri((srv.get(DEPLOY)?.spec as { replicas: number }).replicas, 5, 3),
    readOnly: [READ_ALL, { verbs: ['patch'], groups: ['apps'], resources: ['deployments'] }], // but not deployments/scale
  },
  {
    name: 'eject-endpoints (quarantine label + DestinationRule)', type: 'eject-endpoints', target: SVC, params: { destinationRule: 'web' },
    evidence: [anomaly({ service: 'web', pod: 'web-1' }, 0.99), anomaly({ service: 'web', pod: 'web-2' }, 0.9)], writes: 2, bakeMs: 60_000,
    seed: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'prod' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
      ...[0, 1, 2, 3].map((i) => readyPod(`web-${i}`, { app: 'web', 'pod-template-hash': 'abc' })),
      { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: { name: 'web', namespace: 'prod' }, spec: { host: 'web', trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } } } } },
    ],
    make: (kube) => new EjectEndpointsAction(kube),
    applied: (srv) => {
      const pod = srv.get({ group: '', resource: 'pods', namespace: 'prod', name: 'web-1' });
      const dr = (srv.get({ group: 'networking.istio.io', resource: 'destinationrules', namespace: 'prod', name: 'web' })?.spec as { trafficPolicy: Record<string, unknown> }).trafficPolicy;
      const other = srv.get({ group: '', resource: 'pods', namespace: 'prod', name: 'web-2' });
      if (other?.metadata?.labels?.app !== 'web') return undefined; // the cap (floor(0.34 × 4) = 1) must spare web-2
      const q = pod?.metadata?.labels?.['aiopsd.io/quarantine'] === 'true' && pod.metadata.labels.app === undefined && dr.outlierDetection !== undefined;
      const o = pod?.metadata?.labels?.['aiopsd.io/quarantine'] === undefined && pod?.metadata?.labels?.app === 'web' && dr.outlierDetection === undefined
        && pod.metadata.annotations?.['aiopsd.io/quarantine-original'] === undefined;
      return q ? true : o ? false : undefined;
    },
    readOnly: [READ_ALL, { verbs: ['patch'], groups: ['networking.istio.io'], resources: ['destinationrules'] }], // pods not patchable
  },
  {
    name: 'shift-gslb-weights (k8gb)', type: 'shift-gslb-weights', target: GSLB, params: {}, evidence: [anomaly({ service: 'web', region: 'eu' })], writes: 1, bakeMs: 180_000,
    seed: [{ apiVersion: 'k8gb.absa.oss/v1beta1', kind: 'Gslb', metadata: { name: 'web', namespace: 'prod' }, spec: { strategy: { type: 'roundRobin', weight: { eu: 50, us: 30, ap: 20 } } } }],
    make: (kube) => new ShiftGslbWeightsAction(kube),
    applied: (srv) => {
      const w = JSON.stringify((srv.get(GSLB)?.spec as { strategy: { weight: Record<string, number> } }).strategy.weight);
      return w === JSON.stringify({ eu: 25, us: 45, ap: 30 }) ? true : w === JSON.stringify({ eu: 50, us: 30, ap: 20 }) ? false : undefined;
    },
    readOnly: [READ_ALL],
  },
  {
    name: 'rollback-canary (Istio VirtualService weights)', type: 'rollback-canary', target: VS, params: {}, evidence: [], writes: 1, bakeMs: 120_000,
    seed: [vsObject()],
    make: (kube, flagger) => new RollbackCanaryAction(kube, flagger),
    applied: (srv) => tri(vsWeights(srv).join(','), '100,0', '80,20'),
    readOnly: [READ_ALL],
  },
  {
    name: 'rollback-canary (Argo Rollouts abort via rollouts/status)', type: 'rollback-canary', target: VS, params: {}, evidence: [], writes: 1, bakeMs: 120_000,
    seed: [vsObject(), {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'prod' },
      spec: { strategy: { canary: { trafficRouting: { istio: { virtualService: { name: 'web', routes: ['primary'] } } } } } },
    }],
    make: (kube, flagger) => new RollbackCanaryAction(kube, flagger),
    applied: (srv) => {
      if (vsWeights(srv).join(',') !== '80,20') return undefined; // weights are Argo's business
      return tri((srv.get(ROLLOUT)?.status as { abort?: boolean } | undefined)?.abort === true, true, false);
    },
    readOnly: [READ_ALL, { verbs: ['patch'], groups: ['argoproj.io'], resources: ['rollouts'] }], // but not rollouts/status
  },
];

function tri<T>(value: T, applied: T, original: T): boolean | undefined {
  return value === applied ? true : value === original ? false : undefined;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(SCENARIOS)('$name', (s) => {
  async function setup(probe: FakeProbe | undefined, flagger?: FlaggerRollbackRegistry) {
    h = await harness([ns, ...s.seed]);
    const registry = flagger ?? new FlaggerRollbackRegistry(h.clock);
    const action = s.make(h.kube, registry);
    return { h, action, registry, executor: h.executor([action], probe) };
  }

  it('plans absolute before/after and dry-runs without writing', async () => {
    const { h, action, registry, executor } = await setup(new FakeProbe([HEALTHY]));
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence, true), { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('planned');
    expect(result.plan?.before).not.toEqual(result.plan?.after);
    expect(h.srv.totalWrites()).toBe(0);
    expect(h.srv.requests.some((r) => r.method === 'PATCH' && r.dryRun && r.status === 200)).toBe(true);
    expect(h.srv.requests.some((r) => r.method === 'PATCH' && !r.dryRun)).toBe(false);
    expect(s.applied(h.srv, registry)).toBe(false);
    expect(h.kinds()).toEqual(['action.dry_run']);
    expect(action.type).toBe(s.type);
  });

  it('executes with a precondition, bakes, verifies ok; re-executing the plan (a re-delivery) writes nothing', async () => {
    const { h, action, registry, executor } = await setup(new FakeProbe([HEALTHY]));
    const d = decision(s.type, s.target, s.params, s.evidence);
    const result = await executor.run(d, { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('verified');
    expect(s.applied(h.srv, registry)).toBe(true);
    expect(h.srv.totalWrites()).toBe(s.writes);
    expect(h.sleeps).toEqual([s.bakeMs]);
    expect(h.kinds()).toEqual(['action.executing', 'action.executed', 'action.verified']);
    await action.execute(s.target, result.plan!);
    expect(h.srv.totalWrites()).toBe(s.writes);
    expect(h.store.records[1]?.body).toMatchObject({ plan: { before: result.plan?.before, after: result.plan?.after } });
  });

  it('verification failed → automatic revert to the recorded prior state', async () => {
    const { h, registry, executor } = await setup(new FakeProbe([ANOMALOUS]));
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('reverted');
    expect(s.applied(h.srv, registry)).toBe(false);
    expect(h.srv.totalWrites()).toBe(2 * s.writes);
    expect(h.kinds()).toEqual(['action.executing', 'action.executed', 'action.reverted']);
    expect(h.pages).toEqual([]);
  });

  it('insufficient data → held and paged, change left in place', async () => {
    const { h, registry, executor } = await setup(new FakeProbe([NO_DATA]));
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('held');
    expect(s.applied(h.srv, registry)).toBe(true);
    expect(h.kinds()).toEqual(['action.executing', 'action.executed', 'action.held']);
    expect(h.pages).toMatchObject([{ reason: 'verification_inconclusive', actionType: s.type }]);
  });

  it('409 on the write → guardrails re-checked → re-planned → retried once', async () => {
    const { h, registry, executor } = await setup(new FakeProbe([HEALTHY]));
    h.srv.failNext({ method: 'PATCH', dryRun: false }, 409);
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('verified');
    expect(h.rechecks).toHaveLength(1);
    expect(s.applied(h.srv, registry)).toBe(true);
    expect(h.srv.totalWrites()).toBe(s.writes);
    expect(h.kinds().filter((k) => k === 'action.executing')).toHaveLength(2);
  });

  it('409 and the re-check says no → no write, suppressed', async () => {
    const { h, registry } = await setup(undefined);
    const executor = h.executor([s.make(h.kube, registry)], new FakeProbe([HEALTHY]), { recheck: () => Promise.resolve(false) });
    h.srv.failNext({ method: 'PATCH', dryRun: false }, 409);
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result).toMatchObject({ outcome: 'noop', error: { code: 'guardrails_recheck' } });
    expect(h.srv.totalWrites()).toBe(0);
    expect(h.kinds()).toContain('decision.suppressed');
  });

  it('403 → audited failure, not retryable, nothing written', async () => {
    const { h, registry, executor } = await setup(new FakeProbe([HEALTHY]));
    h.srv.setRules(s.readOnly);
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'forbidden', retryable: false } });
    expect(h.srv.totalWrites()).toBe(0);
    expect(s.applied(h.srv, registry)).toBe(false);
    expect(h.kinds()).toEqual(['action.failed']);
    expect(h.store.records[0]?.body).toMatchObject({ stage: 'execute', error: { code: 'forbidden' } });
  });

  it('kill switch on → no write (checked right before the write), audited', async () => {
    const { h, registry, executor } = await setup(new FakeProbe([HEALTHY]));
    h.killSwitch.on = true;
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result).toMatchObject({ outcome: 'noop', error: { code: 'kill_switch' } });
    expect(h.srv.totalWrites()).toBe(0);
    expect(s.applied(h.srv, registry)).toBe(false);
    expect(h.store.records.map((r) => [r.kind, r.body.reason])).toEqual([['decision.suppressed', 'kill_switch']]);
  });

  it('kill switch turned on during the bake → the revert is not written, held and paged', async () => {
    const { h, registry } = await setup(undefined);
    const executor = h.executor([s.make(h.kube, registry)], new FakeProbe([ANOMALOUS]), {
      sleep: () => {
        h.killSwitch.on = true;
        return Promise.resolve();
      },
    });
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result.outcome).toBe('held');
    expect(h.srv.totalWrites()).toBe(s.writes);
    expect(h.pages).toMatchObject([{ reason: 'revert_blocked' }]);
  });

  it.each(['target', 'namespace'] as const)('opt-out annotation on the %s → never touched, audited as suppressed', async (where) => {
    const { h, registry, executor } = await setup(new FakeProbe([HEALTHY]));
    const key = where === 'target' ? s.target : { group: '', resource: 'namespaces', namespace: '', name: 'prod' };
    h.srv.store.mutate(key, (o) => {
      o.metadata = { ...o.metadata, annotations: { ...(o.metadata?.annotations ?? {}), 'aiopsd.io/opt-out': 'true' } };
    });
    h.srv.clearRequests();
    const result = await executor.run(decision(s.type, s.target, s.params, s.evidence), { jobId: 'j', attempt: 1 });
    expect(result).toMatchObject({ outcome: 'noop', error: { code: 'opt_out' } });
    expect(h.srv.totalWrites()).toBe(0);
    expect(h.srv.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(s.applied(h.srv, registry)).toBe(false);
    expect(h.store.records.map((r) => [r.kind, r.body.reason])).toEqual([['decision.suppressed', 'opt_out']]);
  });
});
