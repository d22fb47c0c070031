/**
 * The sandbox apiserver, driven through the real @kubernetes/client-node (loaded via src/clients/kubernetes.ts,
 * which makes client-node 2.x importable on Node 20).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8s, KubernetesClient, type KubeConfig } from '../../../src/clients/kubernetes.js';
import { isAppError } from '../../../src/lib/errors.js';
import { startK8sApiServer, type K8sApiServer, type RbacRule } from '../../../src/sandbox/k8s-api-server.js';

const HPA = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'prod', name: 'web' };
const ROLLOUT = { group: 'argoproj.io', version: 'v1alpha1', resource: 'rollouts', namespace: 'prod', name: 'web' };
const VS = { group: 'networking.istio.io', version: 'v1beta1', resource: 'virtualservices', namespace: 'prod', name: 'web' };
const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'prod', name: 'web' };

function hpa(min = 2, max = 10): Record<string, unknown> {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' } },
    spec: { minReplicas: min, maxReplicas: max, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } },
  };
}

/** Run a raw client call that must fail; return the HTTP code and the parsed Status body. */
async function failure(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    expect(typeof e.code).toBe('number');
    const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as Record<string, unknown>;
    return { code: e.code ?? 0, status };
  }
  throw new Error('expected the call to fail');
}

async function appError(call: Promise<unknown>): Promise<{ code: string; retryable: boolean; message: string }> {
  try {
    await call;
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { code: err.code, retryable: err.retryable, message: err.message };
  }
  throw new Error('expected the call to fail');
}

let srv: K8sApiServer;
let kc: KubeConfig;
let client: KubernetesClient;

beforeEach(async () => {
  srv = await startK8sApiServer();
  srv.seed(hpa());
  kc = new k8s.KubeConfig();
  kc.loadFromString(srv.kubeconfigYaml());
  client = new KubernetesClient(kc, { timeoutMs: 2_000 });
});

afterEach(async () => {
  await srv.close();
});

describe('reads', () => {
  it('gets an object with apiVersion, kind and a string resourceVersion', async () => {
    const obj = await client.getObject(HPA);
    expect(obj).toMatchObject({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', spec: { minReplicas: 2 } });
    expect(obj.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(obj.metadata?.generation).toBe(1);
  });

  it('answers 404 NotFound Status bodies for a missing object and an unknown resource', async () => {
    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const missing = await failure(api.getNamespacedCustomObject({ ...HPA, plural: HPA.resource, name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({
      kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404,
      message: 'horizontalpodautoscalers.autoscaling "nope" not found',
    });
    const unknown = await failure(api.getNamespacedCustomObject({ group: 'apps', version: 'v1', namespace: 'prod', plural: 'statefulsets', name: 'x' }));
    expect(unknown.code).toBe(404);
    expect(unknown.status.reason).toBe('NotFound');
    expect((await appError(client.getObject({ ...HPA, name: 'nope' })))).toMatchObject({ code: 'not_found', retryable: false });
  });

  it('lists with equality, inequality and set label selectors, per namespace and across namespaces', async () => {
    const pod = (ns: string, name: string, labels: Record<string, string>) =>
      srv.seed({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    pod('prod', 'web-1', { app: 'web', track: 'stable' });
    pod('prod', 'web-2', { app: 'web', track: 'canary' });
    pod('prod', 'api-1', { app: 'api' });
    pod('staging', 'web-9', { app: 'web', track: 'stable' });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const names = (list: { items: { metadata?: { name?: string } }[] }) => list.items.map((p) => p.metadata?.name);
    expect(names(await core.listNamespacedPod({ namespace: 'prod', labelSelector: 'app=web' }))).toEqual(['web-1', 'web-2']);
    expect(names(await core.listNamespacedPod({ namespace: 'prod', labelSelector: 'app=web,track!=canary' }))).toEqual(['web-1']);
    expect(names(await core.listNamespacedPod({ namespace: 'prod', labelSelector: 'track in (canary,stable)' }))).toEqual(['web-1', 'web-2']);
    expect(names(await core.listPodForAllNamespaces({ labelSelector: 'track=stable' }))).toEqual(['web-1', 'web-9']);
    const generic = await client.listObjects({ group: '', version: 'v1', resource: 'pods', namespace: 'prod' }, { labelSelector: 'app' });
    expect(generic.map((p) => p.metadata?.name)).toEqual(['api-1', 'web-1', 'web-2']);
    const bad = await failure(core.listNamespacedPod({ namespace: 'prod', labelSelector: 'app=we b' }));
    expect(bad.code).toBe(400);
  });

  it('serves cluster-scoped namespaces (for opt-out annotations)', async () => {
    srv.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod', annotations: { 'aiopsd.io/opt-out': 'true' } } });
    const ns = await client.getObject({ group: '', version: 'v1', resource: 'namespaces', namespace: '', name: 'prod' });
    expect(ns.metadata?.annotations).toEqual({ 'aiopsd.io/opt-out': 'true' });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    expect((await core.readNamespace({ name: 'prod' })).metadata?.name).toBe('prod');
  });
});

describe('patches', () => {
  it('applies a JSON merge patch, bumping resourceVersion and generation, and counts one write', async () => {
    const before = await client.getObject(HPA);
    const out = await client.patchObject(HPA, { spec: { minReplicas: 4 } }, { type: 'merge', dryRun: false });
    expect(out.spec).toMatchObject({ minReplicas: 4, maxReplicas: 10 });
    expect(Number(out.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));
    expect(out.metadata?.generation).toBe(2);
    expect(srv.writes(HPA)).toBe(1);
    const logged = srv.requests.find((r) => r.method === 'PATCH');
    expect(logged).toMatchObject({ contentType: 'application/merge-patch+json', dryRun: false, status: 200, resource: 'horizontalpodautoscalers' });
  });

  it('rejects a merge patch carrying a stale resourceVersion with 409 Conflict and writes nothing', async () => {
    const { metadata } = await client.getObject(HPA);
    await client.patchObject(HPA, { spec: { maxReplicas: 12 } }, { type: 'merge', dryRun: false });
    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const res = await failure(api.patchNamespacedCustomObject(
      { ...HPA, plural: HPA.resource, body: { metadata: { resourceVersion: metadata?.resourceVersion }, spec: { minReplicas: 5 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    ));
    expect(res.code).toBe(409);
    expect(res.status).toMatchObject({ reason: 'Conflict', code: 409 });
    expect(String(res.status.message)).toContain('the object has been modified');
    const mapped = await appError(client.patchObject(HPA, { metadata: { resourceVersion: metadata?.resourceVersion }, spec: { minReplicas: 5 } }, { type: 'merge', dryRun: false }));
    expect(mapped).toMatchObject({ code: 'conflict', retryable: true });
    expect(mapped.message).toContain('horizontalpodautoscalers.autoscaling/v2 prod/web');
    expect(srv.writes(HPA)).toBe(1);
    expect(srv.get(HPA)?.spec).toMatchObject({ minReplicas: 2, maxReplicas: 12 });
  });

  it('applies a JSON patch whose test passes, and answers 422 Invalid when the test fails', async () => {
    const ok = await client.patchObject(HPA, [
      { op: 'test', path: '/spec/minReplicas', value: 2 },
      { op: 'replace', path: '/spec/minReplicas', value: 3 },
    ], { type: 'json', dryRun: false });
    expect(ok.spec).toMatchObject({ minReplicas: 3 });

    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const res = await failure(api.patchNamespacedCustomObject(
      { ...HPA, plural: HPA.resource, body: [{ op: 'test', path: '/spec/minReplicas', value: 2 }, { op: 'replace', path: '/spec/minReplicas', value: 7 }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    ));
    expect(res.code).toBe(422);
    expect(res.status).toMatchObject({ reason: 'Invalid', details: { causes: [{ message: 'testing value /spec/minReplicas failed: test failed' }] } });
    // The client treats a failed precondition test like a 409: someone else changed the object.
    const mapped = await appError(client.patchObject(HPA, [{ op: 'test', path: '/spec/minReplicas', value: 2 }], { type: 'json', dryRun: false }));
    expect(mapped).toMatchObject({ code: 'conflict', retryable: true });
    expect(srv.get(HPA)?.spec).toMatchObject({ minReplicas: 3 });
    expect(srv.writes(HPA)).toBe(1);
  });

  it('dryRun=All validates and answers with the result but changes nothing and counts no write', async () => {
    const before = srv.get(HPA);
    const out = await client.patchObject(HPA, { metadata: { resourceVersion: before?.metadata?.resourceVersion }, spec: { minReplicas: 6 } }, { type: 'merge', dryRun: true });
    expect(out.spec).toMatchObject({ minReplicas: 6 });
    expect(out.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect(srv.get(HPA)).toEqual(before);
    expect(srv.writes(HPA)).toBe(0);
    expect(srv.requests.at(-1)).toMatchObject({ method: 'PATCH', dryRun: true, status: 200 });
    // Full validation on the dry run: maxReplicas below minReplicas is 422 Invalid.
    const invalid = await appError(client.patchObject(HPA, { spec: { minReplicas: 20 } }, { type: 'merge', dryRun: true }));
    expect(invalid).toMatchObject({ code: 'invalid', retryable: false });
    expect(invalid.message).toContain('spec.maxReplicas');
    // Stale precondition fails the dry run exactly as the real write would.
    srv.store.mutate(HPA, (o) => { (o.spec as Record<string, unknown>).maxReplicas = 11; });
    expect(await appError(client.patchObject(HPA, { metadata: { resourceVersion: before?.metadata?.resourceVersion }, spec: { minReplicas: 6 } }, { type: 'merge', dryRun: true })))
      .toMatchObject({ code: 'conflict' });
  });

  it('a patch that changes nothing neither bumps resourceVersion nor counts a write', async () => {
    const before = srv.get(HPA);
    const out = await client.patchObject(HPA, { spec: { minReplicas: 2 } }, { type: 'merge', dryRun: false });
    expect(out.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect(srv.writes(HPA)).toBe(0);
  });

  it('accepts strategic merge patch for built-in kinds and answers 415 for custom resources', async () => {
    srv.seed({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'app', image: 'web:1' }, { name: 'proxy', image: 'envoy:1' }] } } },
    });
    srv.seed({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'prod' }, spec: { hosts: ['web'] } });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const smp = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
    const dep = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'prod', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } } }, smp);
    expect(dep.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=web:2', 'proxy=envoy:1']);

    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const res = await failure(api.patchNamespacedCustomObject({ ...VS, plural: VS.resource, body: { spec: { hosts: ['x'] } } }, smp));
    expect(res.code).toBe(415);
    expect(res.status).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
    expect(srv.writes(VS)).toBe(0);
  });
});

describe('subresources', () => {
  beforeEach(() => {
    srv.seed({
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'prod' },
      spec: { replicas: 3, strategy: { canary: { steps: [{ setWeight: 20 }] } } }, status: { phase: 'Progressing' },
    });
  });

  it('aborts a rollout through rollouts/status; the main resource ignores status changes', async () => {
    const out = await client.patchObject(ROLLOUT, { status: { abort: true } }, { type: 'merge', dryRun: false, subresource: 'status' });
    expect(out.status).toEqual({ phase: 'Progressing', abort: true });
    expect(out.metadata?.generation).toBe(1);
    expect(srv.requests.at(-1)).toMatchObject({ path: '/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts/web/status', subresource: 'status' });
    // Through the object itself, status is not writable (status subresource semantics) …
    await client.patchObject(ROLLOUT, { status: { abort: false }, spec: { replicas: 4 } }, { type: 'merge', dryRun: false });
    const stored = srv.get(ROLLOUT);
    expect(stored?.status).toEqual({ phase: 'Progressing', abort: true });
    expect(stored?.metadata?.generation).toBe(2);
    // … and through /status, spec is not writable.
    await client.patchObject(ROLLOUT, { spec: { replicas: 9 } }, { type: 'merge', dryRun: false, subresource: 'status' });
    expect((srv.get(ROLLOUT)?.spec as { replicas: number }).replicas).toBe(4);
  });

  it('needs rollouts/status permission separately from rollouts', async () => {
    const rules: RbacRule[] = [
      { verbs: ['get', 'list', 'patch'], groups: ['argoproj.io'], resources: ['rollouts'], namespaces: ['prod'] },
    ];
    srv.setRules(rules);
    const denied = await appError(client.patchObject(ROLLOUT, { status: { abort: true } }, { type: 'merge', dryRun: true, subresource: 'status' }));
    expect(denied).toMatchObject({ code: 'forbidden', retryable: false });
    expect(denied.message).toContain('cannot patch resource "rollouts/status" in API group "argoproj.io" in the namespace "prod"');
    srv.setRules([...rules, { verbs: ['patch'], groups: ['argoproj.io'], resources: ['rollouts/status'], namespaces: ['prod'] }]);
    await client.patchObject(ROLLOUT, { status: { abort: true } }, { type: 'merge', dryRun: false, subresource: 'status' });
    expect(srv.writes(ROLLOUT)).toBe(1);
  });

  it('serves deployments/scale as autoscaling/v1 Scale and writes replicas back', async () => {
    srv.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } } } });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'prod' });
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=web' } });
    const patched = await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: 'prod', body: { metadata: { resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: 5 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.spec?.replicas).toBe(5);
    expect(srv.get(DEPLOY)).toMatchObject({ spec: { replicas: 5 }, metadata: { generation: 2 } });
    const stale = await failure(apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: 'prod', body: { metadata: { resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: 1 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    ));
    expect(stale.code).toBe(409);
    expect((await client.getObject(DEPLOY, { subresource: 'scale' })).spec).toEqual({ replicas: 5 });
  });
});

describe('leases (create / update with resourceVersion)', () => {
  it('creates once, 409 AlreadyExists after, and replaces only with the current resourceVersion', async () => {
    const coord = kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = { metadata: { name: 'aiopsd-leader', namespace: 'aiops-system' }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15 } };
    const created = await coord.createNamespacedLease({ namespace: 'aiops-system', body: lease });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    const again = await failure(coord.createNamespacedLease({ namespace: 'aiops-system', body: lease }));
    expect(again.code).toBe(409);
    expect(again.status.reason).toBe('AlreadyExists');

    const renewed = await coord.replaceNamespacedLease({
      name: 'aiopsd-leader', namespace: 'aiops-system',
      body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-a', renewTime: new Date() } },
    });
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    const stolen = await failure(coord.replaceNamespacedLease({
      name: 'aiopsd-leader', namespace: 'aiops-system', body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-b' } },
    }));
    expect(stolen.code).toBe(409);
    expect(stolen.status.reason).toBe('Conflict');
    expect((await coord.readNamespacedLease({ name: 'aiopsd-leader', namespace: 'aiops-system' })).spec?.holderIdentity).toBe('pod-a');

    const dry = await coord.createNamespacedLease({ namespace: 'aiops-system', body: { ...lease, metadata: { ...lease.metadata, name: 'other' } }, dryRun: 'All' });
    expect(dry.metadata?.name).toBe('other');
    expect(srv.get({ group: 'coordination.k8s.io', resource: 'leases', namespace: 'aiops-system', name: 'other' })).toBeUndefined();
  });
});

describe('RBAC', () => {
  it('answers 403 Forbidden for a missing verb, on dry runs too, and writes nothing', async () => {
    srv.setRules([{ verbs: ['get', 'list'], groups: ['autoscaling'], resources: ['horizontalpodautoscalers'] }]);
    expect((await client.getObject(HPA)).spec).toMatchObject({ minReplicas: 2 });
    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    for (const dryRun of ['All', undefined]) {
      const res = await failure(api.patchNamespacedCustomObject(
        { ...HPA, plural: HPA.resource, body: { spec: { minReplicas: 3 } }, dryRun },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ));
      expect(res.code).toBe(403);
      expect(res.status).toMatchObject({
        reason: 'Forbidden',
        message: 'horizontalpodautoscalers.autoscaling "web" is forbidden: User "system:serviceaccount:aiops-system:aiopsd" ' +
          'cannot patch resource "horizontalpodautoscalers" in API group "autoscaling" in the namespace "prod"',
      });
    }
    expect(await appError(client.patchObject(HPA, { spec: { minReplicas: 3 } }, { type: 'merge', dryRun: true })))
      .toMatchObject({ code: 'forbidden', retryable: false });
    expect(srv.writes(HPA)).toBe(0);
  });

  it('limits namespaced rules to their namespaces', async () => {
    srv.setRules([{ verbs: ['get'], groups: ['autoscaling'], resources: ['horizontalpodautoscalers'], namespaces: ['staging'] }]);
    expect(await appError(client.getObject(HPA))).toMatchObject({ code: 'forbidden' });
  });
});

describe('faults, auth and timeouts', () => {
  it('fails the next matching requests with the injected status, then recovers', async () => {
    srv.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers' }, 503, 2);
    for (let i = 0; i < 2; i++) {
      expect(await appError(client.patchObject(HPA, { spec: { minReplicas: 3 } }, { type: 'merge', dryRun: false })))
        .toMatchObject({ code: 'k8s_unavailable', retryable: true });
    }
    await client.patchObject(HPA, { spec: { minReplicas: 3 } }, { type: 'merge', dryRun: false });
    expect(srv.writes(HPA)).toBe(1);
    expect(srv.requests.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('maps a slow apiserver to a retryable k8s_unavailable once the client timeout passes', async () => {
    const impatient = new KubernetesClient(kc, { timeoutMs: 100 });
    srv.delayNext({ verb: 'get' }, 1_000);
    expect(await appError(impatient.getObject(HPA))).toMatchObject({ code: 'k8s_unavailable', retryable: true });
  });

  it('maps a closed apiserver to k8s_unavailable', async () => {
    const gone = await startK8sApiServer({ token: null });
    await gone.close();
    const c = KubernetesClient.from({ kind: 'server', server: gone.url });
    const err = await appError(c.getObject(HPA));
    expect(err).toMatchObject({ code: 'k8s_unavailable', retryable: true });
  });

  it('requires the bearer token from its kubeconfig', async () => {
    const wrong = KubernetesClient.from({ kind: 'server', server: srv.url, token: 'not-the-token' });
    expect(await appError(wrong.getObject(HPA))).toMatchObject({ code: 'unauthorized' });
    const right = KubernetesClient.from({ kind: 'server', server: srv.url, token: srv.token });
    expect((await right.getObject(HPA)).metadata?.name).toBe('web');
  });
});
