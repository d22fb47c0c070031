/** scale-hpa against the sandbox apiserver, through the real @kubernetes/client-node. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScaleHpaAction } from '../../../src/actions/scale-hpa.js';
import { KubernetesClient } from '../../../src/clients/kubernetes.js';
import type { ActionPlan, TargetRef } from '../../../src/domain/types.js';
import { isAppError } from '../../../src/lib/errors.js';
import { startK8sApiServer, type K8sApiServer } from '../../../src/sandbox/k8s-api-server.js';

const TARGET: TargetRef = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'prod', name: 'web' };

async function appError(call: Promise<unknown> | (() => unknown)): Promise<{ code: string; retryable: boolean; message: string; details?: Record<string, unknown> }> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { code: err.code, retryable: err.retryable, message: err.message, details: err.details };
  }
  throw new Error('expected a failure');
}

let srv: K8sApiServer;
let action: ScaleHpaAction;

function spec(): { minReplicas: number; maxReplicas: number } {
  return srv.get(TARGET)?.spec as { minReplicas: number; maxReplicas: number };
}

function patches(): { dryRun: boolean; status: number; contentType: string | undefined }[] {
  return srv.requests.filter((r) => r.method === 'PATCH').map((r) => ({ dryRun: r.dryRun, status: r.status, contentType: r.contentType }));
}

beforeEach(async () => {
  srv = await startK8sApiServer();
  srv.seed({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'prod' },
    spec: { minReplicas: 2, maxReplicas: 10, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } },
  });
  action = new ScaleHpaAction(KubernetesClient.from({ kind: 'yaml', yaml: srv.kubeconfigYaml() }, { timeoutMs: 2_000 }), { maxReplicaChange: 5 });
});

afterEach(async () => {
  await srv.close();
});

describe('parse', () => {
  it('accepts absolute replica counts', () => {
    expect(action.parse({ minReplicas: 6 })).toEqual({ minReplicas: 6 });
    expect(action.parse({ minReplicas: 6, maxReplicas: 20 })).toEqual({ minReplicas: 6, maxReplicas: 20 });
  });

  it.each([
    [null, 'params'],
    [[], 'params'],
    [{}, 'minReplicas'],
    [{ minReplicas: 0 }, 'minReplicas'],
    [{ minReplicas: 2.5 }, 'minReplicas'],
    [{ minReplicas: '3' }, 'minReplicas'],
    [{ minReplicas: 3, maxReplicas: 2 }, 'maxReplicas'],
    [{ minReplicas: 3, maxReplicas: -1 }, 'maxReplicas'],
    [{ minReplicas: 3, delta: 1 }, 'delta'],
  ])('rejects %j naming %s', async (params, field) => {
    const err = await appError(() => action.parse(params));
    expect(err.code).toBe('invalid_params');
    expect(err.message).toContain(field);
    expect(err.details).toEqual({ field });
  });
});

describe('plan', () => {
  it('reads before, computes absolute after, records the resourceVersion', async () => {
    const plan = await action.plan(TARGET, { minReplicas: 6 });
    expect(plan).toEqual({ before: { minReplicas: 2, maxReplicas: 10 }, after: { minReplicas: 6, maxReplicas: 10 }, resourceVersion: srv.get(TARGET)?.metadata?.resourceVersion });
  });

  it('clamps by maxReplicaChange and raises maxReplicas to at least minReplicas', async () => {
    expect((await action.plan(TARGET, { minReplicas: 50 })).after).toEqual({ minReplicas: 7, maxReplicas: 10 });
    expect((await action.plan(TARGET, { minReplicas: 6, maxReplicas: 40 })).after).toEqual({ minReplicas: 6, maxReplicas: 15 });
    srv.store.mutate(TARGET, (o) => { (o.spec as Record<string, number>).maxReplicas = 3; });
    expect((await action.plan(TARGET, { minReplicas: 6 })).after).toEqual({ minReplicas: 6, maxReplicas: 6 });
    const tight = new ScaleHpaAction(KubernetesClient.from({ kind: 'yaml', yaml: srv.kubeconfigYaml() }), { maxReplicaChange: 0 });
    expect((await tight.plan(TARGET, { minReplicas: 9 })).after).toEqual({ minReplicas: 2, maxReplicas: 3 });
  });

  it('refuses a target that is not an HPA, and reports a missing HPA as not_found', async () => {
    expect(await appError(action.plan({ ...TARGET, group: '', resource: 'services' }, { minReplicas: 3 }))).toMatchObject({ code: 'invalid_target' });
    expect(await appError(action.plan({ ...TARGET, name: 'nope' }, { minReplicas: 3 }))).toMatchObject({ code: 'not_found', retryable: false });
  });
});

describe('preflight and execute', () => {
  it('dry-runs the exact write (merge patch with resourceVersion) without changing anything', async () => {
    const plan = await action.plan(TARGET, { minReplicas: 6 });
    await action.preflight(TARGET, plan);
    expect(patches()).toEqual([{ dryRun: true, status: 200, contentType: 'application/merge-patch+json' }]);
    expect(spec()).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(srv.writes(TARGET)).toBe(0);
  });

  it('executes once, then a re-run of the same plan writes nothing', async () => {
    const plan = await action.plan(TARGET, { minReplicas: 6 });
    await action.preflight(TARGET, plan);
    const done = await action.execute(TARGET, plan);
    expect(spec()).toMatchObject({ minReplicas: 6, maxReplicas: 10 });
    expect(srv.writes(TARGET)).toBe(1);
    expect(done.resourceVersion).toBe(srv.get(TARGET)?.metadata?.resourceVersion);
    expect(done.resourceVersion).not.toBe(plan.resourceVersion);

    // A re-delivered job: the HPA is already at `after`, so no PATCH is sent at all.
    const again = await action.execute(TARGET, plan);
    expect(again.after).toEqual(plan.after);
    expect(srv.writes(TARGET)).toBe(1);
    expect(patches().filter((p) => !p.dryRun)).toHaveLength(1);

    // Planning again yields before == after, and preflight has nothing to dry-run.
    const replan = await action.plan(TARGET, { minReplicas: 6 });
    expect(replan.before).toEqual(replan.after);
    await action.preflight(TARGET, replan);
    expect(patches()).toHaveLength(2);
  });

  it('surfaces a concurrent change as a retryable conflict, in preflight and execute, and writes nothing', async () => {
    const plan = await action.plan(TARGET, { minReplicas: 6 });
    srv.store.mutate(TARGET, (o) => { (o.spec as Record<string, number>).maxReplicas = 12; });
    expect(await appError(action.preflight(TARGET, plan))).toMatchObject({ code: 'conflict', retryable: true });
    const err = await appError(action.execute(TARGET, plan));
    expect(err).toMatchObject({ code: 'conflict', retryable: true });
    expect(err.message).toContain('horizontalpodautoscalers.autoscaling/v2 prod/web');
    expect(spec()).toMatchObject({ minReplicas: 2, maxReplicas: 12 });
    expect(srv.writes(TARGET)).toBe(0);
  });

  it('surfaces missing patch permission as forbidden (dry run included) and writes nothing', async () => {
    srv.setRules([{ verbs: ['get', 'list', 'watch'], groups: ['autoscaling'], resources: ['horizontalpodautoscalers'] }]);
    const plan = await action.plan(TARGET, { minReplicas: 6 });
    expect(await appError(action.preflight(TARGET, plan))).toMatchObject({ code: 'forbidden', retryable: false });
    expect(await appError(action.execute(TARGET, plan))).toMatchObject({ code: 'forbidden', retryable: false });
    expect(patches().map((p) => p.status)).toEqual([403, 403]);
    expect(srv.writes(TARGET)).toBe(0);
  });

  it('refuses a plan without a resourceVersion precondition or with a malformed after', async () => {
    const plan = await action.plan(TARGET, { minReplicas: 6 });
    const { resourceVersion: _rv, ...unconditional } = plan;
    expect(await appError(action.execute(TARGET, unconditional))).toMatchObject({ code: 'invalid_plan' });
    const broken: ActionPlan = { ...plan, after: { minReplicas: 'six' } };
    expect(await appError(action.preflight(TARGET, broken))).toMatchObject({ code: 'invalid_plan' });
    expect(srv.writes(TARGET)).toBe(0);
  });
});
